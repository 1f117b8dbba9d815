import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, relative } from 'node:path';
import { processCpuMs, processRssMiB } from './proc';

const OUTPUT_KEEP_CHARS = 64 * 1024;
const READY_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 5_000;

/** The checkout this file belongs to (found from src or dist alike). */
export function repoRoot(from = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'nest-cli.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`nest-cli.json not found above ${from}`);
  }
}

export const GATEWAY_MAIN = join(repoRoot(), 'dist/apps/gateway/apps/gateway/src/main.js');

export class GatewayMissingError extends Error {
  constructor() {
    super(
      `the built gateway ${relative(process.cwd(), GATEWAY_MAIN)} is missing: run \`npm run build\` first`,
    );
  }
}

export function freePort(): Promise<number> {
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

/** One built gateway (`node dist/…/main.js`) running as a child process on 127.0.0.1. */
export class GatewayProcess {
  private output = '';
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
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Spawns the gateway with exactly `env` (plus PATH and PORT); see `ready`. */
  static async spawn(
    name: string,
    env: Record<string, string>,
    nodeArgs: string[] = [],
  ): Promise<GatewayProcess> {
    if (!existsSync(GATEWAY_MAIN)) throw new GatewayMissingError();
    const port = await freePort();
    const child = spawn(process.execPath, [...nodeArgs, GATEWAY_MAIN], {
      env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new GatewayProcess(name, port, child);
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

  /** The last lines it printed (LOG_LEVEL=warn: warnings and errors only). */
  tail(lines = 20): string {
    return this.output.trimEnd().split('\n').slice(-lines).join('\n');
  }

  /** Its warnings and errors, each with the lines that follow it (a stack, a query). */
  problems(): string[] {
    const entries: string[][] = [];
    for (const line of this.output.split('\n')) {
      if (/^\[Nest\]|^bowl:/.test(line)) entries.push([line]);
      else entries.at(-1)?.push(line);
    }
    return entries
      .filter(([first]) => /\b(WARN|ERROR)\b|^bowl:/.test(first))
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

  /** SIGTERM (the gateway shuts down cleanly), then SIGKILL after a grace period. */
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
        throw new Error(
          `gateway ${this.name} exited at start (${this.child.exitCode}):\n${this.tail()}`,
        );
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
    throw new Error(
      `gateway ${this.name} not ready within ${READY_TIMEOUT_MS} ms:\n${this.tail()}`,
    );
  }
}
