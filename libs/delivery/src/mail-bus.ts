import { Logger } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import type Redis from 'ioredis';
import { closeRedisClient } from '@app/database';

/**
 * "Recipient X has message seq N": published after a message is committed, heard by every
 * instance, acted on by the one(s) holding X's sockets. It carries the payload so the common case
 * needs no database read; a missed or out-of-order notice only makes the pump read the queue.
 */
export interface MailNotice {
  recipients: [userId: string, seq: number][];
  event: 'contactChatMessage' | 'groupChatMessage';
  payload: Record<string, unknown>;
}

export abstract class MailBus extends EventEmitter<{ mail: [MailNotice]; resync: [] }> {
  abstract publish(notice: MailNotice): Promise<void>;
  async close(): Promise<void> {}
}

/** Single instance: notices stay in this process. */
export class MemoryMailBus extends MailBus {
  async publish(notice: MailNotice): Promise<void> {
    this.emit('mail', notice);
  }
}

/** Fleet: notices go through a Redis channel; after an outage every pump re-reads its queue. */
export class RedisMailBus extends MailBus {
  private readonly logger = new Logger('MailBus');
  private readonly channel: string;
  private wasDown = false;

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    prefix: string,
  ) {
    super();
    this.channel = `${prefix}mail`;
    subscriber.on('message', (channel: string, raw: string) => {
      if (channel !== this.channel) return;
      try {
        this.emit('mail', JSON.parse(raw) as MailNotice);
      } catch (err) {
        this.logger.warn(`bad notice: ${(err as Error).message}`);
      }
    });
    subscriber.on('close', () => (this.wasDown = true));
    subscriber.on('ready', () => {
      if (!this.wasDown) return;
      this.wasDown = false;
      this.emit('resync'); // notices published meanwhile were lost; the queue in PostgreSQL was not
    });
  }

  async start(): Promise<void> {
    await this.subscriber.connect();
    await this.subscriber.subscribe(this.channel);
  }

  async publish(notice: MailNotice): Promise<void> {
    await this.publisher.publish(this.channel, JSON.stringify(notice));
  }

  async close(): Promise<void> {
    await closeRedisClient(this.subscriber);
  }
}
