import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const GUARD = join(__dirname, '../dist/apps/gateway/libs/common/src/guard.js');

/** The process backstop that apps/gateway/src/main.ts installs once the gateway serves. */
describe('the process backstop', () => {
  it('logs with a ref, counts, and keeps the process running after an escaped throw and rejection', () => {
    const script = `
      const { installProcessBackstop, backstopCount } = require(${JSON.stringify(GUARD)});
      installProcessBackstop();
      setTimeout(() => { throw new Error('thrown in a timer'); }, 0);
      Promise.reject(new Error('rejected and never handled'));
      setTimeout(() => console.log('still running, caught ' + backstopCount()), 200);
    `;
    const run = spawnSync(process.execPath, ['-e', script], {
      encoding: 'utf8',
      timeout: 10_000,
      env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' },
    });
    const output = run.stdout + run.stderr;

    expect(run.status).toBe(0);
    expect(run.stdout).toContain('still running, caught 2');
    expect(output).toMatch(
      /internal error ref=([0-9a-f]{8}) in uncaughtException: thrown in a timer[\s\S]*uncaughtException ref=\1 caught by the backstop \(\d since start\); still serving/,
    );
    expect(output).toMatch(
      /internal error ref=([0-9a-f]{8}) in unhandledRejection: rejected and never handled[\s\S]*unhandledRejection ref=\1 caught by the backstop/,
    );
  });
});
