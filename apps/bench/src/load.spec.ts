import { closedLoop, dueSends, openLoop } from './load';

describe('load shapes', () => {
  it('counts the sends due at a fixed rate', () => {
    expect([0, 0.9, 1, 999, 1000, 2500].map((ms) => dueSends(1000, ms))).toEqual([
      0, 0, 1, 999, 1000, 2500,
    ]);
    expect(dueSends(200, -5)).toBe(0);
  });

  it('open loop: starts every due send, each with the time it was due', async () => {
    const due: number[] = [];
    const started = await openLoop(2000, 10, (n, dueAt) => due.push(dueAt));
    expect(started).toBe(20);
    due.forEach((t, n) => expect(t - due[0]).toBeCloseTo(n * 0.5, 9));
  });

  it('closed loop: keeps at most `window` sends of each stream in flight', async () => {
    const inFlight = [0, 0];
    const peak = [0, 0];
    let sends = 0;
    await closedLoop(
      2,
      3,
      () => sends < 30,
      async (stream) => {
        sends++;
        peak[stream] = Math.max(peak[stream], ++inFlight[stream]);
        await new Promise((resolve) => setTimeout(resolve, 1));
        inFlight[stream]--;
      },
    );
    expect(peak).toEqual([3, 3]);
    expect(sends).toBe(30);
  });
});
