import { GroupCommit } from './group-commit';

/** A write that stays in flight until the test releases it, recording each batch. */
function controlledWrite() {
  const batches: number[][] = [];
  const releases: (() => void)[] = [];
  const write = (items: number[]) => {
    batches.push(items);
    return new Promise<number[]>((resolve) =>
      releases.push(() => resolve(items.map((i) => i * 10))),
    );
  };
  return { batches, write, release: () => releases.shift()!() };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('GroupCommit', () => {
  it('writes a lone item at once, without waiting for company', async () => {
    const w = controlledWrite();
    const commit = new GroupCommit(w.write);
    const result = commit.submit(1);
    expect(w.batches).toEqual([[1]]);
    w.release();
    expect(await result).toBe(10);
  });

  it('puts everything that arrived during a write into the next one, in arrival order', async () => {
    const w = controlledWrite();
    const commit = new GroupCommit(w.write);
    const results = [1, 2, 3, 4].map((i) => commit.submit(i));
    expect(w.batches).toEqual([[1]]);
    w.release();
    await tick();
    expect(w.batches).toEqual([[1], [2, 3, 4]]);
    w.release();
    expect(await Promise.all(results)).toEqual([10, 20, 30, 40]);
  });

  it('settles a caller only after the write that holds its item', async () => {
    const w = controlledWrite();
    const commit = new GroupCommit(w.write);
    const settled: number[] = [];
    commit.submit(1).then((r) => settled.push(r));
    commit.submit(2).then((r) => settled.push(r));
    await tick();
    expect(settled).toEqual([]);
    w.release();
    await tick();
    expect(settled).toEqual([10]);
    w.release();
    await tick();
    expect(settled).toEqual([10, 20]);
  });

  it('caps a batch at maxBatch items', async () => {
    const w = controlledWrite();
    const commit = new GroupCommit(w.write, 2);
    const results = [1, 2, 3, 4, 5].map((i) => commit.submit(i));
    for (let i = 0; i < 3; i++) {
      w.release();
      await tick();
    }
    expect(w.batches).toEqual([[1], [2, 3], [4, 5]]);
    expect(await Promise.all(results)).toEqual([10, 20, 30, 40, 50]);
  });

  it('fails every item of a failed batch and goes on with the next', async () => {
    let calls = 0;
    const commit = new GroupCommit(async (items: number[]) => {
      calls++;
      await tick();
      if (calls === 2) throw new Error('write failed');
      return items;
    });
    const first = commit.submit(1);
    const failed = [commit.submit(2), commit.submit(3)];
    await expect(first).resolves.toBe(1);
    await expect(failed[0]).rejects.toThrow('write failed');
    await expect(failed[1]).rejects.toThrow('write failed');
    await expect(commit.submit(4)).resolves.toBe(4);
  });

  it('drained() waits for the write in flight and what queued behind it', async () => {
    const w = controlledWrite();
    const commit = new GroupCommit(w.write);
    void commit.submit(1);
    void commit.submit(2);
    expect(commit.size).toBe(2); // one in the write, one waiting behind it
    let done = false;
    const drained = commit.drained().then(() => (done = true));
    w.release();
    await tick();
    expect(done).toBe(false);
    expect(commit.size).toBe(1);
    w.release();
    await drained;
    expect(commit.size).toBe(0);
  });

  describe('paced (items nobody waits for)', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    it('writes the first item at once, then at most one write per pacingMs, sharing it', async () => {
      const w = controlledWrite();
      const commit = new GroupCommit(w.write, 256, 50);
      const first = commit.submit(1);
      expect(w.batches).toEqual([[1]]);
      w.release();
      expect(await first).toBe(10);
      jest.advanceTimersByTime(10);
      const later = [2, 3].map((i) => commit.submit(i));
      jest.advanceTimersByTime(39);
      expect(w.batches).toEqual([[1]]);
      jest.advanceTimersByTime(1);
      expect(w.batches).toEqual([[1], [2, 3]]);
      w.release();
      expect(await Promise.all(later)).toEqual([20, 30]);
    });

    it('does not wait once a batch is full', async () => {
      const w = controlledWrite();
      const commit = new GroupCommit(w.write, 2, 50);
      void commit.submit(1);
      w.release();
      await Promise.resolve();
      await Promise.resolve();
      void commit.submit(2);
      expect(w.batches).toEqual([[1]]);
      void commit.submit(3);
      expect(w.batches).toEqual([[1], [2, 3]]);
    });

    it('drained() writes what waits at once', async () => {
      const w = controlledWrite();
      const commit = new GroupCommit(w.write, 256, 50);
      void commit.submit(1);
      void commit.submit(2);
      expect(w.batches).toEqual([[1]]);
      const drained = commit.drained();
      w.release();
      await Promise.resolve();
      await Promise.resolve();
      expect(w.batches).toEqual([[1], [2]]); // not 50 ms later
      w.release();
      await drained;
      expect(commit.size).toBe(0);
      jest.advanceTimersByTime(50);
      expect(w.batches).toEqual([[1], [2]]);
    });
  });
});
