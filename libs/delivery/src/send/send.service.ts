import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { AuthUser } from '@app/auth';
import { APP_CONFIG, AppConfig, Metrics } from '@app/common';
import { NotAContactError } from '@app/contacts';
import { NotGroupMemberError } from '@app/groups';
import { MessageTooLargeError, RecipientQueueFullError } from '../delivery.errors';
import { ContactChatMessageDto, GroupChatMessageDto } from './messages.dto';
import { GroupCommit } from '../group-commit';
import { MessagesRepository, NewMessage, StoreOutcome } from '../messages.repository';
import { MailBus } from '../pump/mail-bus';
import { encodePayload, eventOf } from '../wire';

export interface SendReceipt {
  id: string;
  sentAt: string;
}

/**
 * The send path. A send is checked (size here; who may send to whom inside the write), stored by
 * group commit together with whatever other sends arrived while the previous write was in flight,
 * and acknowledged only after the commit that holds it. Then a notice goes to the instances that
 * hold the recipients' sockets.
 */
@Injectable()
export class SendService {
  private readonly logger = new Logger('Delivery');
  private readonly batcher: GroupCommit<NewMessage, StoreOutcome>;
  /** Sends in flight by "<sender> <clientMessageId>": a resend waits for the first, never joins its batch. */
  private readonly inFlight = new Map<string, Promise<StoreOutcome>>();

  constructor(
    private readonly messages: MessagesRepository,
    private readonly bus: MailBus,
    private readonly metrics: Metrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    const limits = {
      maxQueued: config.MAX_QUEUED_MESSAGES,
      senderShare: config.MAX_QUEUED_PER_SENDER,
    };
    this.batcher = new GroupCommit((batch) => {
      this.metrics.observe('bowl_store_batch_messages', batch.length);
      return this.messages.storeBatch(batch, limits);
    });
  }

  sendToContact(caller: AuthUser, dto: ContactChatMessageDto): Promise<SendReceipt> {
    return this.send(caller, dto, dto.to, null);
  }

  sendToGroup(caller: AuthUser, dto: GroupChatMessageDto): Promise<SendReceipt> {
    return this.send(caller, dto, null, dto.groupId);
  }

  /** Sends waiting for their group commit, or in it. */
  get pending(): number {
    return this.batcher.size;
  }

  /** Resolves once every send accepted so far has been written. */
  drained(): Promise<void> {
    return this.batcher.drained();
  }

  private async send(
    caller: AuthUser,
    dto: ContactChatMessageDto | GroupChatMessageDto,
    to: string | null,
    groupId: string | null,
  ): Promise<SendReceipt> {
    if (Buffer.byteLength(dto.message) > this.config.MAX_MESSAGE_BYTES) {
      throw new MessageTooLargeError(this.config.MAX_MESSAGE_BYTES);
    }
    const message: NewMessage = {
      id: randomUUID(),
      senderId: caller.id,
      to,
      groupId,
      clientMessageId: dto.clientMessageId ?? null,
      messageTypeJson: JSON.stringify(dto.messageType),
      body: dto.message,
      date: dto.date,
      time: dto.time,
    };
    const started = performance.now();
    const outcome = await this.store(message);
    switch (outcome.kind) {
      case 'not_contact':
        throw new NotAContactError('recipient is not a contact');
      case 'not_member':
        throw new NotGroupMemberError();
      case 'queue_full':
        throw new RecipientQueueFullError();
      case 'duplicate':
        return { id: outcome.id, sentAt: outcome.sentAt.toISOString() };
    }
    this.metrics.increment('bowl_messages_stored_total');
    this.metrics.observe('bowl_message_store_seconds', (performance.now() - started) / 1000);
    if (outcome.recipients.length > 0) this.announce(caller, message, outcome);
    return { id: outcome.id, sentAt: outcome.sentAt.toISOString() };
  }

  private store(message: NewMessage): Promise<StoreOutcome> {
    if (message.clientMessageId === null) return this.batcher.submit(message);
    const key = `${message.senderId} ${message.clientMessageId}`;
    const first = this.inFlight.get(key);
    if (first) {
      // The same resend, racing its original: answered like any resend, with the first's receipt.
      return first.then((o) => (o.kind === 'stored' ? { ...o, kind: 'duplicate' } : o));
    }
    const stored = this.batcher.submit(message).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, stored);
    return stored;
  }

  /** Stored already: if the notice is lost, recipients still get it from their queue. */
  private announce(
    caller: AuthUser,
    message: NewMessage,
    stored: StoreOutcome & { kind: 'stored' },
  ) {
    const json = encodePayload({
      id: stored.id,
      groupId: message.groupId,
      messageTypeJson: message.messageTypeJson,
      message: message.body,
      date: message.date,
      time: message.time,
      from: caller.email,
      sentAt: stored.sentAt,
    });
    this.bus
      .publish(stored.recipients, {
        event: eventOf(message.groupId),
        sentAt: stored.sentAt.getTime(),
        json,
      })
      .catch((err: Error) =>
        this.logger.warn(`notice for message ${stored.id} not published: ${err.message}`),
      );
  }
}
