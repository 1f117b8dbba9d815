import { now, sleep } from './stats';

/**
 * Closed loop: `window` workers per stream, each sending again as soon as its previous send is
 * complete, while `more()` says so. `send` books its own outcome and never throws.
 */
export async function closedLoop(
  streams: number,
  window: number,
  more: () => boolean,
  send: (stream: number) => Promise<void>,
): Promise<void> {
  const worker = async (stream: number) => {
    while (more()) await send(stream);
  };
  const workers: Promise<void>[] = [];
  for (let s = 0; s < streams; s++) for (let w = 0; w < window; w++) workers.push(worker(s));
  await Promise.all(workers);
}

/** How many sends of an open loop at `perSecond` are due `elapsedMs` after its start. */
export const dueSends = (perSecond: number, elapsedMs: number): number =>
  Math.floor((Math.max(0, elapsedMs) * perSecond) / 1000);

/**
 * Open loop: starts sends at a fixed rate for `durationMs` whatever the server does, checking the
 * clock every `tickMs`; `send(n, dueAt)` gets the time the n-th send was due, so a late start
 * counts as latency (no coordinated omission). Returns how many it started.
 */
export async function openLoop(
  perSecond: number,
  durationMs: number,
  send: (n: number, dueAt: number) => void,
  tickMs = 1,
): Promise<number> {
  const start = now();
  const total = dueSends(perSecond, durationMs);
  let started = 0;
  while (started < total) {
    const due = Math.min(total, dueSends(perSecond, now() - start));
    for (; started < due; started++) send(started, start + (started * 1000) / perSecond);
    if (started < total) await sleep(tickMs);
  }
  return started;
}

/** Runs `work(0..count-1)` with at most `parallel` at a time; stops at the first failure. */
export async function forEachLimited(
  count: number,
  parallel: number,
  work: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < count) {
      const index = next++;
      try {
        await work(index);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
}
