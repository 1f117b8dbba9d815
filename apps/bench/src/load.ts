import type { Settings } from './types';
import { now } from './stats';

/**
 * Sends `perStream` messages on each of `streams` streams with at most `window` in flight per
 * stream, starting none after `deadline`. `send` books its own failures and never throws.
 * Resolves with how many sends were started.
 */
export async function pump(
  streams: number,
  perStream: number,
  window: number,
  deadline: number,
  send: (stream: number, seq: number) => Promise<void>,
): Promise<number> {
  let started = 0;
  const stream = async (s: number) => {
    let next = 0;
    const worker = async () => {
      while (next < perStream && now() < deadline) {
        started++;
        await send(s, next++);
      }
    };
    await Promise.all(Array.from({ length: Math.min(window, perStream) }, worker));
  };
  await Promise.all(Array.from({ length: streams }, (_, s) => stream(s)));
  return started;
}

/** A note for a row whose send phase hit the time limit. */
export function limitNote(started: number, planned: number, settings: Settings): string[] {
  return started < planned
    ? [`send time limit (${settings.sendLimitMs} ms) reached: ${started}/${planned} sent`]
    : [];
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
