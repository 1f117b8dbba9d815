import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig, guard } from '@app/common';
import { MessagesRepository } from '../messages.repository';

/**
 * Acknowledged deliveries and their ciphertext are gone within this (plus one run's time). Often
 * and in small batches: the same work every 15 s in batches of 5,000 held a core for a few hundred
 * milliseconds at 1,000 msg/s and showed in every send's tail latency.
 */
const CLEAN_EVERY_MS = 2_000;
const CLEAN_BATCH = 1_000;
const PURGE_EVERY_MS = 60 * 60 * 1000;
const FIRST_PURGE_AFTER_MS = 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * What leaves the database, in bulk and off the hot path: acknowledged deliveries and the
 * ciphertext nobody waits for any more (every few seconds), and messages older than
 * MESSAGE_RETENTION_DAYS, delivered or not (hourly).
 */
@Injectable()
export class RetentionService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Retention');
  private cleanTimer?: NodeJS.Timeout;
  private purgeTimer?: NodeJS.Timeout;

  constructor(
    private readonly messages: MessagesRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    const clean = guard('the cleanup of acknowledged deliveries', () => this.cleanAcknowledged());
    const purge = guard('the retention purge', () => this.purgeExpired());
    this.cleanTimer = setInterval(clean, CLEAN_EVERY_MS);
    // First purge soon after start (instances that restart often would otherwise never purge).
    this.purgeTimer = setTimeout(() => {
      void purge();
      this.purgeTimer = setInterval(purge, PURGE_EVERY_MS).unref();
    }, FIRST_PURGE_AFTER_MS);
    this.cleanTimer.unref();
    this.purgeTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.cleanTimer);
    clearTimeout(this.purgeTimer); // clears an interval too
  }

  /** Messages waiting in all queues, not acknowledged yet (for /metrics). */
  backlog(): Promise<number> {
    return this.messages.backlog();
  }

  /** Deletes acknowledged deliveries and the ciphertext of fully acknowledged messages. */
  async cleanAcknowledged(): Promise<number> {
    try {
      let total = 0;
      for (let n = CLEAN_BATCH; n === CLEAN_BATCH; total += n) {
        n = await this.messages.cleanAcknowledged(CLEAN_BATCH);
      }
      return total;
    } catch (err) {
      this.logger.warn(`cleaning acknowledged deliveries failed: ${(err as Error).message}`);
      return 0;
    }
  }

  /** Deletes messages older than MESSAGE_RETENTION_DAYS, delivered or not. */
  async purgeExpired(now = new Date()): Promise<number> {
    try {
      const cutoff = new Date(now.getTime() - this.config.MESSAGE_RETENTION_DAYS * DAY_MS);
      const purged = await this.messages.purgeOlderThan(cutoff);
      if (purged) this.logger.log(`purged ${purged} message(s) older than ${cutoff.toISOString()}`);
      return purged;
    } catch (err) {
      this.logger.warn(`purge failed: ${(err as Error).message}`);
      return 0;
    }
  }
}
