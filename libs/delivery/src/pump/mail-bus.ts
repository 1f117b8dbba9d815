import { Logger } from '@nestjs/common';
import { guard } from '@app/common';
import { closeRedisClient, RedisClient } from '@app/database';
import {
  decodeBroadcastNotice,
  decodeNotice,
  encodeBroadcastNotice,
  encodeNotice,
  QueuedDelivery,
} from '../wire';

export type NoticeHandler = (userId: string, delivery: QueuedDelivery) => void;

/**
 * "Recipient X has message seq N": published after a message is committed, heard only by the
 * instances holding X's sockets (each watches the users it holds). It carries the encoded payload
 * so the common case reads nothing; a missed or out-of-order notice only makes the pump read the
 * queue, so notices are an optimisation and PostgreSQL stays the truth.
 */
export abstract class MailBus {
  protected handle: NoticeHandler = () => undefined;
  protected resync: () => void = () => undefined;
  protected received: () => void = () => undefined;

  /** Where notices for watched users go. */
  onNotice(handler: NoticeHandler): void {
    this.handle = handler;
  }

  /** Called for every notice this instance receives, whether or not it holds a recipient. */
  onReceived(counter: () => void): void {
    this.received = counter;
  }

  /** Called when notices may have been lost (Redis came back): every pump re-reads its queue. */
  onResync(handler: () => void): void {
    this.resync = handler;
  }

  /** Starts receiving the user's notices; resolves once they are certain to arrive. */
  abstract watch(userId: string): Promise<void>;
  abstract unwatch(userId: string): void;
  abstract publish(
    recipients: [userId: string, seq: number][],
    delivery: Omit<QueuedDelivery, 'seq'>,
  ): Promise<void>;
  async close(): Promise<void> {}

  /** Notices published while `subscriber` was down are lost: resync once it is back. */
  protected resyncAfterOutages(subscriber: RedisClient): void {
    let wasDown = false;
    subscriber.on('close', () => (wasDown = true));
    subscriber.on(
      'ready',
      guard('the notice subscriber coming back', () => {
        if (!wasDown) return;
        wasDown = false;
        this.resync(); // the queues in PostgreSQL lost nothing
      }),
    );
  }
}

/** Single instance: notices stay in this process. */
export class MemoryMailBus extends MailBus {
  private readonly watched = new Set<string>();

  async watch(userId: string): Promise<void> {
    this.watched.add(userId);
  }

  unwatch(userId: string): void {
    this.watched.delete(userId);
  }

  async publish(recipients: [string, number][], d: Omit<QueuedDelivery, 'seq'>): Promise<void> {
    for (const [userId, seq] of recipients) {
      if (!this.watched.has(userId)) continue;
      this.received();
      this.handle(userId, { ...d, seq });
    }
  }
}

/**
 * Fleet: one sharded pub/sub channel per user (`<prefix>mail:{<userId>}`), subscribed by the
 * instances holding that user's sockets, so a notice reaches only them (SPUBLISH/SSUBSCRIBE,
 * Redis 7; on a Redis Cluster each channel lives on one shard). After an outage every pump
 * re-reads its queue.
 */
export class RedisMailBus extends MailBus {
  private readonly logger = new Logger('MailBus');
  private readonly prefix: string;

  constructor(
    private readonly publisher: RedisClient,
    private readonly subscriber: RedisClient,
    keyPrefix: string,
  ) {
    super();
    this.prefix = `${keyPrefix}mail:{`;
    subscriber.on(
      'smessage',
      guard('a notice', (channel: string, raw: string) => {
        this.received();
        const delivery = decodeNotice(raw);
        if (!delivery || !channel.startsWith(this.prefix)) return;
        this.handle(channel.slice(this.prefix.length, -1), delivery);
      }),
    );
    this.resyncAfterOutages(subscriber);
  }

  private channel(userId: string): string {
    return `${this.prefix}${userId}}`;
  }

  async watch(userId: string): Promise<void> {
    await this.subscriber.ssubscribe(this.channel(userId));
  }

  unwatch(userId: string): void {
    this.subscriber.sunsubscribe(this.channel(userId)).catch((err: Error) => {
      // Redis is down: the subscription is gone with the connection anyway.
      this.logger.debug(`unsubscribe failed: ${err.message}`);
    });
  }

  async publish(recipients: [string, number][], d: Omit<QueuedDelivery, 'seq'>): Promise<void> {
    // One command per recipient (on a cluster the channels live on different shards); the
    // client's auto-pipelining sends those of one tick in one write per server.
    await Promise.all(
      recipients.map(([userId, seq]) =>
        this.publisher.spublish(this.channel(userId), encodeNotice(seq, d)),
      ),
    );
  }

  async close(): Promise<void> {
    await closeRedisClient(this.subscriber);
  }
}

/**
 * The classic design, kept to measure against (NOTICE_ROUTING=broadcast, one Redis only): every
 * notice on one channel that every instance hears, each keeping the recipients it holds.
 */
export class BroadcastMailBus extends MailBus {
  private readonly watched = new Set<string>();
  private readonly channel: string;

  constructor(
    private readonly publisher: RedisClient,
    private readonly subscriber: RedisClient,
    keyPrefix: string,
  ) {
    super();
    this.channel = `${keyPrefix}mail`;
    subscriber.on(
      'message',
      guard('a notice', (channel: string, raw: string) => {
        if (channel !== this.channel) return;
        this.received();
        const notice = decodeBroadcastNotice(raw);
        if (!notice) return;
        for (const [userId, seq] of notice.recipients) {
          if (this.watched.has(userId)) this.handle(userId, { ...notice.delivery, seq });
        }
      }),
    );
    this.resyncAfterOutages(subscriber);
  }

  async start(): Promise<void> {
    await this.subscriber.subscribe(this.channel);
  }

  async watch(userId: string): Promise<void> {
    this.watched.add(userId);
  }

  unwatch(userId: string): void {
    this.watched.delete(userId);
  }

  async publish(recipients: [string, number][], d: Omit<QueuedDelivery, 'seq'>): Promise<void> {
    await this.publisher.publish(this.channel, encodeBroadcastNotice(recipients, d));
  }

  async close(): Promise<void> {
    await closeRedisClient(this.subscriber);
  }
}
