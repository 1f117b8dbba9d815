import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { AuthUser } from '@app/auth';
import { APP_CONFIG, AppConfig, ConflictError, InvalidInputError } from '@app/common';
import { ContactsService } from '@app/contacts';
import { GroupsService } from '@app/groups';
import { ContactChatMessageDto, GroupChatMessageDto } from './dto/messages.dto';
import { MailBus } from './mail-bus';
import { DeliverySink, MailboxPump, toClientEvent } from './mailbox-pump';
import { MessagesRepository, NewMessage } from './messages.repository';

export interface SendReceipt {
  id: string;
  sentAt: string;
}

const ACK_FLUSH_MS = 10;
const ACK_FLUSH_SIZE = 200;
const PURGE_EVERY_MS = 60 * 60 * 1000;
const FIRST_PURGE_AFTER_MS = 60 * 1000;
const SWEEP_EVERY_MS = 10_000;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Store-and-forward delivery. A send is acknowledged only once the message is committed to every
 * recipient's queue; each connected socket has a MailboxPump that delivers its user's queue in
 * order; a message leaves a queue only when a socket of that user acknowledges it.
 */
@Injectable()
export class DeliveryService implements OnModuleInit {
  private readonly logger = new Logger('Delivery');
  private readonly pumps = new Map<string, Set<MailboxPump>>();
  private pendingAcks: { userId: string; messageId: string }[] = [];
  private ackTimer?: NodeJS.Timeout;
  private purgeTimer?: NodeJS.Timeout;
  private sweepTimer?: NodeJS.Timeout;

  constructor(
    private readonly messages: MessagesRepository,
    private readonly contacts: ContactsService,
    private readonly groups: GroupsService,
    private readonly bus: MailBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.bus.on('mail', (notice) => {
      const payload = notice.payload;
      for (const [userId, seq] of notice.recipients) {
        for (const pump of this.pumps.get(userId) ?? []) pump.notify(seq, notice.event, payload);
      }
    });
    this.bus.on('resync', () => {
      for (const pumps of this.pumps.values()) for (const pump of pumps) void pump.drain();
    });
    // First purge soon after start (instances that restart often would otherwise never purge).
    this.purgeTimer = setTimeout(() => {
      void this.purgeExpired();
      this.purgeTimer = setInterval(() => void this.purgeExpired(), PURGE_EVERY_MS).unref();
    }, FIRST_PURGE_AFTER_MS);
    this.sweepTimer = setInterval(() => void this.sweep(), SWEEP_EVERY_MS);
    this.purgeTimer.unref();
    this.sweepTimer.unref();
  }

  async sendToContact(caller: AuthUser, dto: ContactChatMessageDto): Promise<SendReceipt> {
    this.checkSize(dto.message);
    const recipient = await this.contacts.contactByEmail(caller, dto.to);
    return this.store(caller, {
      ...this.fields(caller, dto),
      groupId: null,
      recipientIds: [recipient.id],
    });
  }

  async sendToGroup(caller: AuthUser, dto: GroupChatMessageDto): Promise<SendReceipt> {
    this.checkSize(dto.message);
    const memberIds = await this.groups.memberIdsForSender(caller, dto.groupId);
    const recipientIds = memberIds.filter((id) => id !== caller.id);
    return this.store(caller, { ...this.fields(caller, dto), groupId: dto.groupId, recipientIds });
  }

  /** Starts delivering the user's queue to a newly connected socket. */
  attach(sink: DeliverySink): MailboxPump {
    const pump = new MailboxPump(sink, this.messages, (userId, messageId) =>
      this.queueAck(userId, messageId),
    );
    const mine = this.pumps.get(sink.userId) ?? new Set<MailboxPump>();
    mine.add(pump);
    this.pumps.set(sink.userId, mine);
    pump.start();
    return pump;
  }

  detach(userId: string, pump: MailboxPump): void {
    pump.close();
    const mine = this.pumps.get(userId);
    mine?.delete(pump);
    if (mine?.size === 0) this.pumps.delete(userId);
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

  /**
   * The backstop for lost notices (an instance that died between commit and publish, a Redis
   * blip): one query per interval for all local users, and a re-read for any pump that is behind.
   */
  async sweep(): Promise<void> {
    if (this.pumps.size === 0) return;
    try {
      const newest = await this.messages.newestSeqs([...this.pumps.keys()]);
      for (const [userId, seq] of newest) {
        for (const pump of this.pumps.get(userId) ?? []) if (pump.isBehind(seq)) void pump.drain();
      }
    } catch (err) {
      this.logger.warn(`sweep failed: ${(err as Error).message}`);
    }
  }

  /** Flushes acknowledgements and stops timers; called once the sockets are gone. */
  async stop(): Promise<void> {
    clearTimeout(this.purgeTimer); // clears an interval too
    clearInterval(this.sweepTimer);
    await this.flushAcks();
    await this.bus.close();
  }

  private async store(caller: AuthUser, message: NewMessage): Promise<SendReceipt> {
    const result = await this.messages.store(message, this.config.MAX_QUEUED_MESSAGES);
    if (result.kind === 'queueFull') throw new ConflictError('recipient queue full');
    const receipt = { id: result.id, sentAt: result.sentAt.toISOString() };
    if (result.kind === 'duplicate' || result.seqs.length === 0) return receipt;
    this.logger.debug(
      `stored message ${result.id} from ${caller.id} for ${result.seqs.length} recipient(s)`,
    );
    const { event, payload } = toClientEvent({
      id: result.id,
      groupId: message.groupId,
      messageType: message.messageType,
      message: message.body,
      date: message.date,
      time: message.time,
      from: caller.email,
      sentAt: result.sentAt,
    });
    // Stored already: if the notice is lost, recipients still get it from their queue.
    this.bus
      .publish({ recipients: result.seqs, event, payload })
      .catch((err: Error) =>
        this.logger.warn(`notice for message ${result.id} not published: ${err.message}`),
      );
    return receipt;
  }

  private fields(caller: AuthUser, dto: ContactChatMessageDto | GroupChatMessageDto) {
    return {
      senderId: caller.id,
      clientMessageId: dto.clientMessageId,
      messageType: dto.messageType,
      body: dto.message,
      date: dto.date,
      time: dto.time,
    };
  }

  private checkSize(message: string): void {
    if (Buffer.byteLength(message) > this.config.MAX_MESSAGE_BYTES) {
      throw new InvalidInputError(`message must be at most ${this.config.MAX_MESSAGE_BYTES} bytes`);
    }
  }

  /** Acknowledgements are written in batches: one statement per flush for all local users. */
  private queueAck(userId: string, messageId: string): void {
    this.pendingAcks.push({ userId, messageId });
    if (this.pendingAcks.length >= ACK_FLUSH_SIZE) void this.flushAcks();
    else this.ackTimer ??= setTimeout(() => void this.flushAcks(), ACK_FLUSH_MS);
  }

  private async flushAcks(): Promise<void> {
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    const batch = this.pendingAcks;
    this.pendingAcks = [];
    if (batch.length === 0) return;
    await this.messages.acknowledge(batch).catch((err: Error) =>
      // Not lost: still queued, so delivered again on the next connection (at-least-once).
      this.logger.warn(`acknowledgement of ${batch.length} message(s) failed: ${err.message}`),
    );
  }
}
