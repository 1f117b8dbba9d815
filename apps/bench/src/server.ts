import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, relative } from 'node:path';
import WebSocket from 'ws';
import { processCpuMs, processRssMiB } from './proc';

const OUTPUT_KEEP_CHARS = 64 * 1024;
const READY_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 5_000;

/** The checkout this file belongs to (found from src or dist alike). */
function repoRoot(from = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'nest-cli.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`nest-cli.json not found above ${from}`);
  }
}

/** The built gateway, as deployed. */
/** The built gateway; BENCH_GATEWAY_MAIN runs another build (e.g. an older one, for a before/after). */
export const GATEWAY_MAIN =
  process.env.BENCH_GATEWAY_MAIN ?? join(repoRoot(), 'dist/apps/gateway/apps/gateway/src/main.js');
/** The bare relay, built beside this file. */
export const RELAY_MAIN = join(__dirname, 'relay.js');

/**
 * What the bench sets on every gateway besides its database, Redis, secret and port: quiet logs,
 * and limits far above the bench's load (a limit that bites would measure the limit, not the
 * delivery path). The gateway ignores variables it does not know, so a limit can be listed here
 * before the gateway reads it.
 */
/** The bench's own scrape token for the gateways' GET /metrics. */
export const BENCH_METRICS_TOKEN = 'bench-metrics-token-0123456789';

export const GATEWAY_BENCH_ENV: Record<string, string> = {
  NODE_ENV: 'production',
  LOG_LEVEL: 'warn',
  METRICS_TOKEN: BENCH_METRICS_TOKEN,
  // Every bench client connects from 127.0.0.1, so the per-address limits are off; the per-user
  // and per-socket ones are too high to refuse anything, but their checks still run and count.
  RATE_LIMIT_REGISTER_PER_IP: 'off',
  RATE_LIMIT_CONNECTIONS_PER_IP: 'off',
  RATE_LIMIT_CONNECTIONS_PER_USER: 'off',
  RATE_LIMIT_MESSAGES: '1000000/1s',
  RATE_LIMIT_SOCKET_EVENTS: '1000000/1s',
  // More settings for Bowl's gateways, e.g. BENCH_GATEWAY_ENV="NOTICE_ROUTING=broadcast".
  ...Object.fromEntries(
    (process.env.BENCH_GATEWAY_ENV ?? '')
      .split(/\s+/)
      .filter(Boolean)
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  ),
};

/** Node options that open the inspector on a free loopback port, for collectGarbage. */
export const INSPECT_ARGS = ['--inspect=127.0.0.1:0'];

class ServerMissingError extends Error {
  constructor(script: string) {
    super(`${relative(process.cwd(), script)} is missing: run \`npm run build\` first`);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A server the bench started: a built gateway (`node dist/…/main.js`) or a bare relay, as a child
 * process on a free port of 127.0.0.1 that answers `GET /health/ready` once it can serve.
 */
export class ServerProcess {
  private output = '';
  /** Its inspector's address, when started with INSPECT_ARGS (see collectGarbage). */
  private inspector?: string;
  private stopping = false;
  private wasReady = false;
  readonly exited: Promise<number | null>;

  private constructor(
    readonly name: string,
    readonly port: number,
    private readonly child: ChildProcess,
  ) {
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-OUTPUT_KEEP_CHARS);
      this.inspector ??= /Debugger listening on (ws:\/\/\S+)/.exec(this.output)?.[1];
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Spawns `node script` with exactly `env` (plus PATH and PORT); see `ready`. */
  static async spawn(
    name: string,
    script: string,
    env: Record<string, string>,
    nodeArgs: string[] = [],
  ): Promise<ServerProcess> {
    if (!existsSync(script)) throw new ServerMissingError(script);
    const port = await freePort();
    const child = spawn(process.execPath, [...nodeArgs, script], {
      env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ServerProcess(name, port, child);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Whether it died, once ready, without being asked to. */
  get crashed(): boolean {
    return this.wasReady && !this.stopping && !this.running;
  }

  /** The last lines it printed (warnings and errors only: gateways run with LOG_LEVEL=warn). */
  tail(lines = 20): string {
    return this.output.trimEnd().split('\n').slice(-lines).join('\n');
  }

  /** Its warnings and errors, each with the lines that follow it (a stack, a query). */
  problems(): string[] {
    const entries: string[][] = [];
    for (const line of this.output.split('\n')) {
      if (/^\[Nest\]|^(bowl|relay):/.test(line)) entries.push([line]);
      else entries.at(-1)?.push(line);
    }
    return entries
      .filter(([first]) => /\b(WARN|ERROR)\b|^(bowl|relay):/.test(first))
      .map((lines) => lines.join('\n').trimEnd());
  }

  /** Resident set size in MiB (undefined once it has exited, or without /proc). */
  rssMiB(): number | undefined {
    return this.running && this.pid !== undefined ? processRssMiB(this.pid) : undefined;
  }

  /** CPU time (user + system) it has used so far, in ms. */
  cpuMs(): number | undefined {
    return this.running && this.pid !== undefined ? processCpuMs(this.pid) : undefined;
  }

  /**
   * A full garbage collection, asked through the inspector (so a memory reading holds what is
   * live, not what the next collection would free). Needs the process started with INSPECT_ARGS.
   */
  async collectGarbage(timeoutMs = 10_000): Promise<void> {
    if (!this.inspector) throw new Error(`${this.name} was not started with ${INSPECT_ARGS[0]}`);
    const socket = new WebSocket(this.inspector);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${this.name}: no GC within ${timeoutMs} ms`)),
          timeoutMs,
        );
        socket.once('error', reject);
        socket.once('open', () =>
          socket.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' })),
        );
        socket.on('message', (data) => {
          if ((JSON.parse(String(data)) as { id?: number }).id === 1) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
    } finally {
      socket.terminate();
    }
  }

  /** SIGTERM (it shuts down cleanly), then SIGKILL after a grace period. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (!this.running) return;
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        if (this.running) this.child.kill('SIGKILL');
        resolve();
      }, STOP_GRACE_MS);
    });
    await Promise.race([this.exited, killed]);
    clearTimeout(timer);
    await this.exited;
  }

  /** Resolves once /health/ready answers 200 (PostgreSQL, and Redis if set, reachable). */
  async ready(): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (!this.running) {
        throw new Error(`${this.name} exited at start (${this.child.exitCode}):\n${this.tail()}`);
      }
      try {
        const res = await fetch(`${this.url}/health/ready`, { signal: AbortSignal.timeout(1_000) });
        if (res.status === 200) {
          this.wasReady = true;
          return;
        }
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${this.name} not ready within ${READY_TIMEOUT_MS} ms:\n${this.tail()}`);
  }
}
