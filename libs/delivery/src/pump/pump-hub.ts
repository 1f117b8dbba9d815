import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig, guard, Metrics } from '@app/common';
import { GroupCommit } from '../group-commit';
import { MessagesRepository } from '../messages.repository';
import { DeliveryTransport } from './delivery-transport';
import { MailBus } from './mail-bus';
import { PumpContext, UserPump } from './user-pump';

const SWEEP_EVERY_MS = 10_000;
/**
 * Nobody waits for an acknowledgement's write (a crash before it only means a redelivery), so
 * acknowledgements are written at most once per this (at once after a quiet spell, and when a
 * socket leaves): at 1,000 msg/s, 20 writes a second per instance instead of about 500.
 */
const ACK_PACING_MS = 50;

/**
 * This instance's side of delivery: one pump per connected user (not per socket), fed by the mail
 * bus, with acknowledgements written in group commits (one statement for every user whose cursor
 * moved since the previous write, paced).
 */
@Injectable()
export class PumpHub implements OnModuleInit {
  private readonly logger = new Logger('Delivery');
  private readonly pumps = new Map<string, UserPump>();
  private readonly acks: GroupCommit<[userId: string, seq: number], undefined>;
  private readonly ctx: PumpContext;
  private sweepTimer?: NodeJS.Timeout;

  constructor(
    private readonly messages: MessagesRepository,
    private readonly bus: MailBus,
    transport: DeliveryTransport,
    private readonly metrics: Metrics,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.acks = new GroupCommit(
      async (batch) => {
        const cursors = new Map<string, number>();
        for (const [userId, seq] of batch)
          cursors.set(userId, Math.max(seq, cursors.get(userId) ?? 0));
        await this.messages.advanceCursors(cursors);
        return batch.map(() => undefined);
      },
      1000,
      ACK_PACING_MS,
    );
    this.ctx = {
      read: (userId, afterSeq, limit) => this.messages.undelivered(userId, afterSeq, limit),
      write: (socket, delivery, onAck) => transport.write(socket, delivery, onAck),
      acknowledged: (userId, seq) => {
        this.acks.submit([userId, seq]).catch((err: Error) =>
          // Not lost: still queued, so delivered again on the next connection (at-least-once).
          this.logger.warn(`acknowledgements not written: ${err.message}`),
        );
      },
      dropped: (sockets, userId, count) => {
        for (const socket of sockets) {
          transport.tellDropped(socket, count, () => {
            this.messages.forgetDropped(userId, count).catch((err: Error) => {
              this.logger.warn(`dropped count of user ${userId} not reset: ${err.message}`);
            });
          });
        }
      },
      window: config.DELIVERY_WINDOW,
      delivered: () => metrics.increment('bowl_messages_delivered_total'),
    };
  }

  onModuleInit(): void {
    this.bus.onReceived(() => this.metrics.increment('bowl_notices_received_total'));
    this.bus.onNotice((userId, delivery) => {
      this.metrics.observe('bowl_notice_latency_seconds', (Date.now() - delivery.sentAt) / 1000);
      this.pumps.get(userId)?.notify(delivery);
    });
    this.bus.onResync(() => {
      for (const pump of this.pumps.values()) void pump.drain();
    });
    this.sweepTimer = setInterval(
      guard('the delivery sweep', () => this.sweep()),
      SWEEP_EVERY_MS,
    );
    this.sweepTimer.unref();
  }

  /** Starts delivering the user's queue to a newly connected socket. */
  async attach(userId: string, socket: object): Promise<void> {
    const existing = this.pumps.get(userId);
    if (existing) {
      existing.add(socket);
      return;
    }
    const pump = new UserPump(userId, this.ctx);
    this.pumps.set(userId, pump);
    pump.add(socket);
    // Watch before the first read, so nothing stored after the read goes unnoticed.
    await this.bus.watch(userId).catch((err: Error) => {
      this.logger.warn(`notices for user ${userId} unavailable, the sweep covers: ${err.message}`);
    });
    if (this.pumps.get(userId) !== pump) return this.bus.unwatch(userId); // gone meanwhile
    await pump.drain();
  }

  detach(userId: string, socket: object): void {
    // Its acknowledgements are written before it can come back, here or on another instance.
    void this.acks.drained();
    const pump = this.pumps.get(userId);
    if (!pump || pump.remove(socket) > 0) return;
    pump.close();
    this.pumps.delete(userId);
    this.bus.unwatch(userId);
  }

  /** Acknowledgements waiting to be written, or being written. */
  get pendingAcks(): number {
    return this.acks.size;
  }

  /** Users with a pump here. */
  get users(): number {
    return this.pumps.size;
  }

  /**
   * The backstop for lost notices (an instance that died between commit and publish, a Redis
   * blip): one query per interval for all local users, and a re-read for any pump that is behind.
   */
  async sweep(): Promise<void> {
    if (this.pumps.size === 0) return;
    try {
      const newest = await this.messages.newestSeqs([...this.pumps.keys()]);
      for (const [userId, seq] of newest) {
        const pump = this.pumps.get(userId);
        if (pump?.isBehind(seq)) void pump.drain();
      }
    } catch (err) {
      this.logger.warn(`sweep failed: ${(err as Error).message}`);
    }
  }

  /** Stops the sweep and writes the acknowledgements still waiting; after the sockets are gone. */
  async stop(): Promise<void> {
    clearInterval(this.sweepTimer);
    await this.acks.drained();
    await this.bus.close();
  }
}
