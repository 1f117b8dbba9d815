/**
 * Group commit: callers submit one item each; while a write is in flight, new items wait, and
 * when it finishes everything that waited goes in the next write, so under load many items share
 * one transaction (one WAL flush) while a lone item is written at once (no timer, no added
 * latency). Each caller's promise settles with its own item's result, after the write that holds
 * it has finished: for a store, only after the commit.
 */
export class GroupCommit<Item, Result> {
  private waiting: { item: Item; resolve: (r: Result) => void; reject: (e: unknown) => void }[] =
    [];
  private writing = false;
  /** Items of the write in flight. */
  private inWrite = 0;
  private idle?: Promise<void>;
  private wake?: () => void;

  /**
   * @param write writes a batch, returning one result per item in the same order; a rejection
   *              fails every item of that batch.
   * @param maxBatch the most items one write takes; the rest wait for the next.
   */
  constructor(
    private readonly write: (items: Item[]) => Promise<Result[]>,
    private readonly maxBatch = 256,
  ) {}

  submit(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (!this.writing) void this.run();
    });
  }

  /** Items waiting or being written. */
  get size(): number {
    return this.waiting.length + this.inWrite;
  }

  /** Resolves once nothing is waiting or being written. */
  async drained(): Promise<void> {
    if (!this.writing) return;
    this.idle ??= new Promise((resolve) => (this.wake = resolve));
    await this.idle;
  }

  private async run(): Promise<void> {
    this.writing = true;
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.maxBatch);
      this.inWrite = batch.length;
      try {
        const results = await this.write(batch.map((w) => w.item));
        batch.forEach((w, i) => w.resolve(results[i]));
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
      this.inWrite = 0;
    }
    this.writing = false;
    this.wake?.();
    this.idle = this.wake = undefined;
  }
}
