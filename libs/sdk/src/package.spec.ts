import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '../../..');

/** What `npm run build:sdk` publishes: ESM + .d.ts that plain Node 20 can import. */
describe('the built SDK package', () => {
  let out: string;

  beforeAll(() => {
    // Inside the repository, so that Node finds socket.io-client in its node_modules.
    mkdirSync(join(ROOT, 'dist'), { recursive: true });
    out = mkdtempSync(join(ROOT, 'dist', '.sdk-test-'));
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-p', 'libs/sdk/tsconfig.build.json', '--outDir', out], {
      cwd: ROOT,
    });
    cpSync(join(ROOT, 'libs/sdk/package.dist.json'), join(out, 'package.json'));
  }, 60_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('runs in Node as an ES module: keys, encryption and the client class', () => {
    const script = `
      const sdk = await import(${JSON.stringify(join(out, 'sdk/src/index.js'))});
      const keys = await sdk.generateKeyPair();
      const sealed = await sdk.encryptMessage(keys.publicKey, 'hello from Node');
      const text = new TextDecoder().decode(await sdk.decryptMessage(keys.privateKey, sealed));
      console.log(JSON.stringify([text, typeof sdk.BowlClient, sdk.Format.groupMessage]));
    `;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    expect(JSON.parse(output)).toEqual(['hello from Node', 'function', 3]);
  });

  it('ships type declarations next to the code', () => {
    const files = readdirSync(out, { recursive: true, encoding: 'utf8' });
    expect(files.filter((f) => f.endsWith('.d.ts'))).toEqual(
      expect.arrayContaining([
        'sdk/src/index.d.ts',
        'sdk/src/client.d.ts',
        'protocol/src/index.d.ts',
      ]),
    );
  });
});
