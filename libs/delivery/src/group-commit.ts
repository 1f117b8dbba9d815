/**
 * Group commit: callers submit one item each; while a write is in flight, new items wait, and
 * when it finishes everything that waited goes in the next write, so under load many items share
 * one transaction (one WAL flush) while a lone item is written at once (no timer, no added
 * latency). Each caller's promise settles with its own item's result, after the write that holds
 * it has finished: for a store, only after the commit.
 *
 * Items nobody waits for (acknowledgements) may be paced instead: a write then starts at most once
 * per `pacingMs` (at once after a quiet spell, or when a batch is full), so that a steady trickle
 * shares writes too.
 */
export class GroupCommit<Item, Result> {
  private waiting: { item: Item; resolve: (r: Result) => void; reject: (e: unknown) => void }[] =
    [];
  private writing = false;
  /** Items of the write in flight. */
  private inWrite = 0;
  private lastStart = -Infinity;
  private paced?: NodeJS.Timeout;
  private batchDone?: Promise<void>;
  private wake?: () => void;

  /**
   * @param write writes a batch, returning one result per item in the same order; a rejection
   *              fails every item of that batch.
   * @param maxBatch the most items one write takes; the rest wait for the next.
   * @param pacingMs the least time between the starts of two writes; 0 (the default) for
   *                 anything a caller waits on.
   */
  constructor(
    private readonly write: (items: Item[]) => Promise<Result[]>,
    private readonly maxBatch = 256,
    private readonly pacingMs = 0,
  ) {}

  submit(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Items waiting or being written. */
  get size(): number {
    return this.waiting.length + this.inWrite;
  }

  /** Writes everything waiting without pacing; resolves once nothing is waiting or being written. */
  async drained(): Promise<void> {
    while (this.writing || this.waiting.length > 0) {
      if (!this.writing) void this.run();
      this.batchDone ??= new Promise((resolve) => (this.wake = resolve));
      await this.batchDone;
    }
  }

  private schedule(): void {
    if (this.writing || this.waiting.length === 0) return;
    const wait = this.lastStart + this.pacingMs - Date.now();
    if (wait <= 0 || this.waiting.length >= this.maxBatch) void this.run();
    else this.paced ??= setTimeout(() => void this.run(), wait);
  }

  private async run(): Promise<void> {
    clearTimeout(this.paced);
    this.paced = undefined;
    if (this.writing) return;
    this.writing = true;
    this.lastStart = Date.now();
    const batch = this.waiting.splice(0, this.maxBatch);
    this.inWrite = batch.length;
    try {
      const results = await this.write(batch.map((w) => w.item));
      batch.forEach((w, i) => w.resolve(results[i]));
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
    this.inWrite = 0;
    this.writing = false;
    this.schedule();
    this.wake?.();
    this.batchDone = this.wake = undefined;
  }
}
