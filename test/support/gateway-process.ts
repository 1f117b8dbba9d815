import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const GATEWAY_MAIN = join(__dirname, '../../dist/apps/gateway/apps/gateway/src/main.js');

export interface GatewayProcess {
  url: string;
  port: number;
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code once the process has exited and its output has all been read. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Every test client connects from 127.0.0.1, so per-address limits would count a whole test
 * file as one client: they are off unless a test sets them (the tests of those limits do).
 */
export const PER_ADDRESS_LIMITS_OFF = {
  RATE_LIMIT_REGISTER_PER_IP: 'off',
  RATE_LIMIT_CONNECTIONS_PER_IP: 'off',
  RATE_LIMIT_LOGIN_FAILURES_PER_IP: 'off',
};

export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => ok(port));
    });
  });
}

/** The built gateway (`npm run build`), as a real process with exactly the environment given. */
export async function startGateway(
  env: Record<string, string>,
  options: { port?: number; readyTimeoutMs?: number } = {},
): Promise<GatewayProcess> {
  if (!existsSync(GATEWAY_MAIN)) throw new Error(`${GATEWAY_MAIN} is missing: run npm run build`);
  const port = options.port ?? (await freePort());
  const child = spawn(process.execPath, [GATEWAY_MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      LOG_LEVEL: 'warn',
      ...PER_ADDRESS_LIMITS_OFF,
      ...env,
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) =>
    child.once('close', (code) => resolve(code)),
  );
  const url = `http://127.0.0.1:${port}`;
  const gateway: GatewayProcess = {
    url,
    port,
    child,
    output: () => output,
    exited,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      // A clean shutdown takes well under a second; one that hangs must not hang the tests too.
      const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(force);
      return code;
    },
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 20_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`gateway exited (${child.exitCode}):\n${output}`);
    try {
      const res = await fetch(`${url}/health/ready`);
      if (res.status === 200) return gateway;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await gateway.stop('SIGKILL');
  throw new Error(`gateway not ready within the timeout:\n${output}`);
}
