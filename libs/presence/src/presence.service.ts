import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { AuthUser } from '@app/auth';
import { APP_CONFIG, AppConfig, guard, Notifier } from '@app/common';
import { PresenceRepository } from './presence.repository';
import { PresenceStore } from './presence.store';

/** The seed's onlineChats packet. */
export interface OnlineChats {
  contacts: string[];
  groups: { groupId: string; persons: string[] }[];
}

/**
 * Presence rules: a user is online while they have a socket anywhere in the fleet; their contacts
 * and group co-members hear `online` when the first socket connects and `offline` when the last
 * one goes (or dies with its instance).
 */
@Injectable()
export class PresenceService implements OnModuleInit {
  private readonly logger = new Logger('Presence');

  constructor(
    private readonly store: PresenceStore,
    private readonly repository: PresenceRepository,
    private readonly notifier: Notifier,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.store.on(
      'offline',
      guard('an offline announcement', (userIds: string[]) => this.announce(userIds, 'offline')),
    );
    this.store.on(
      'online',
      guard('an online announcement', (userIds: string[]) => this.announce(userIds, 'online')),
    );
  }

  /**
   * Counts a new socket of the user, announcing them online if it is their first in the fleet;
   * false (nothing counted) when they have MAX_SOCKETS_PER_USER sockets already.
   */
  async connected(user: AuthUser, socketId: string): Promise<boolean> {
    const admission = await this.store.add(user.id, socketId, this.config.MAX_SOCKETS_PER_USER);
    if (admission === 'first') await this.announce([user.id], 'online');
    return admission !== 'refused';
  }

  /** Whether the user may open another socket (MAX_SOCKETS_PER_USER), checked at the handshake. */
  async mayConnect(userId: string): Promise<boolean> {
    return (await this.store.countOf(userId)) < this.config.MAX_SOCKETS_PER_USER;
  }

  async disconnected(user: AuthUser, socketId: string): Promise<void> {
    if (await this.store.remove(user.id, socketId)) await this.announce([user.id], 'offline');
  }

  /**
   * Two sides that can now see each other's presence (a new contact, a new group member): each
   * online side hears `online` for each online other, without waiting for a reconnect.
   */
  async introduce(
    user: { id: string; email: string },
    others: { id: string; email: string }[],
  ): Promise<void> {
    try {
      const online = await this.store.onlineAmong([user.id, ...others.map((o) => o.id)]);
      if (!online.has(user.id)) return;
      const onlineOthers = others.filter((o) => online.has(o.id));
      if (onlineOthers.length)
        this.notifier.toUsers(
          onlineOthers.map((o) => o.id),
          'online',
          { email: user.email },
        );
      for (const other of onlineOthers)
        this.notifier.toUsers([user.id], 'online', { email: other.email });
    } catch (err) {
      this.logger.warn(`could not introduce user ${user.id}: ${(err as Error).message}`);
    }
  }

  /** Where the store finds this instance's sockets, to register them again after an outage. */
  trackLocalSockets(sockets: () => Iterable<[userId: string, socketId: string]>): void {
    this.store.localSockets = sockets;
  }

  /** Called once this instance's sockets are gone, before its connections close. */
  stop(): Promise<void> {
    return this.store.stop();
  }

  /** Who among the user's contacts and group co-members is online, from the fleet-wide view. */
  async onlineChats(userId: string): Promise<OnlineChats> {
    const rows = await this.repository.chatsOf(userId);
    const ids = [...new Set(rows.flatMap((r) => (r.userId ? [r.userId] : [])))];
    const online = await this.store.onlineAmong(ids).catch((err: Error) => {
      this.logger.warn(`presence unavailable, onlineChats shows no one online: ${err.message}`);
      return new Set<string>();
    });
    const contacts: string[] = [];
    const groups = new Map<string, string[]>();
    for (const row of rows) {
      const isOnline = row.userId !== null && online.has(row.userId);
      if (row.groupId === null) {
        if (isOnline) contacts.push(row.email!);
        continue;
      }
      const persons = groups.get(row.groupId) ?? [];
      if (isOnline) persons.push(row.email!);
      groups.set(row.groupId, persons);
    }
    return { contacts, groups: [...groups].map(([groupId, persons]) => ({ groupId, persons })) };
  }

  private async announce(userIds: string[], event: 'online' | 'offline'): Promise<void> {
    try {
      for (const { email, watcherIds } of await this.repository.watchersOf(userIds)) {
        if (watcherIds.length) this.notifier.toUsers(watcherIds, event, { email });
      }
    } catch (err) {
      this.logger.warn(
        `could not announce ${event} for ${userIds.length} user(s): ${(err as Error).message}`,
      );
    }
  }
}
