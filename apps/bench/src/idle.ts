import { closeAll, connectAll, Protocol } from './client';
import type { BenchUser } from './population';
import type { ServerProcess } from './server';
import { now, rate, sleep } from './stats';
import type { IdleResult, SideName } from './types';

/** Sockets connected before the "before" reading, so one-time costs (code, pools) are not counted. */
export const IDLE_WARMUP_SOCKETS = 20;
/** Pause before each RSS reading, for the connect work (Bowl: presence, queue) to finish. */
const SETTLE_MS = 500;

/** RSS after the connect work is done and the garbage is collected. */
async function settledRssMiB(server: ServerProcess): Promise<number | undefined> {
  await sleep(SETTLE_MS);
  await server.collectGarbage();
  return server.rssMiB();
}

/** RSS per socket in KiB, from two readings in MiB around `sockets` connections. */
export function kibPerSocket(
  beforeMiB: number | undefined,
  afterMiB: number | undefined,
  sockets: number,
): number {
  if (beforeMiB === undefined || afterMiB === undefined || sockets <= 0) return NaN;
  return ((afterMiB - beforeMiB) * 1024) / sockets;
}

/**
 * Idle authenticated sockets on one instance: `users` minus the warm-up ones connect (one socket
 * each) and stay idle; (RSS after − RSS before) ÷ their number, each reading after a full garbage
 * collection (the server must have been started with INSPECT_ARGS).
 */
export async function idleScenario(
  side: SideName,
  protocol: Protocol,
  server: ServerProcess,
  users: BenchUser[],
): Promise<IdleResult> {
  const warm = users.slice(0, IDLE_WARMUP_SOCKETS);
  const idle = users.slice(IDLE_WARMUP_SOCKETS);
  const sockets = await connectAll(warm, () => server.url, protocol);
  try {
    const rssBeforeMiB = await settledRssMiB(server);
    const start = now();
    sockets.push(...(await connectAll(idle, () => server.url, protocol)));
    const connectMs = now() - start;
    const rssAfterMiB = await settledRssMiB(server);
    return {
      side,
      sockets: idle.length,
      rssBeforeMiB,
      rssAfterMiB,
      kibPerSocket: kibPerSocket(rssBeforeMiB, rssAfterMiB, idle.length),
      connectPerSecond: rate(idle.length, connectMs),
    };
  } finally {
    closeAll(sockets);
  }
}
