import { EventEmitter } from 'node:events';

/**
 * Which users have at least one socket anywhere in the fleet. `add` and `remove` say whether the
 * call made the user come online or go offline, so `online`/`offline` are announced exactly once.
 * The store emits 'offline' (user ids) when it finds the sockets of a dead instance, and 'online'
 * when it re-registers its own sockets after an outage made others think it dead.
 */
/** Whether a socket was counted: the user's first in the fleet, another one, or one too many. */
export type Admission = 'first' | 'more' | 'refused';

export abstract class PresenceStore extends EventEmitter<{
  online: [string[]];
  offline: [string[]];
}> {
  /** Registers a socket, unless the user has `maxSockets` already. */
  abstract add(userId: string, socketId: string, maxSockets: number): Promise<Admission>;
  /** Forgets a socket; true when it was the user's last socket in the fleet. */
  abstract remove(userId: string, socketId: string): Promise<boolean>;
  /** How many sockets the user has in the fleet. */
  abstract countOf(userId: string): Promise<number>;
  /** The subset of `userIds` that have a socket somewhere. */
  abstract onlineAmong(userIds: readonly string[]): Promise<Set<string>>;
  /** Leaves the fleet cleanly (after this instance's sockets were removed). */
  async stop(): Promise<void> {}

  /** This instance's sockets as [userId, socketId] (the gateway knows them; nothing is copied). */
  localSockets: () => Iterable<[userId: string, socketId: string]> = () => [];
}

/** Single instance (no Redis): presence is this process's own sockets. */
export class MemoryPresenceStore extends PresenceStore {
  private readonly sockets = new Map<string, Set<string>>();

  async add(userId: string, socketId: string, maxSockets: number): Promise<Admission> {
    const mine = this.sockets.get(userId) ?? new Set<string>();
    if (mine.size >= maxSockets && !mine.has(socketId)) return 'refused';
    mine.add(socketId);
    this.sockets.set(userId, mine);
    return mine.size === 1 ? 'first' : 'more';
  }

  async countOf(userId: string): Promise<number> {
    return this.sockets.get(userId)?.size ?? 0;
  }

  async remove(userId: string, socketId: string): Promise<boolean> {
    const mine = this.sockets.get(userId);
    if (!mine?.delete(socketId)) return false;
    if (mine.size > 0) return false;
    this.sockets.delete(userId);
    return true;
  }

  async onlineAmong(userIds: readonly string[]): Promise<Set<string>> {
    return new Set(userIds.filter((id) => this.sockets.has(id)));
  }
}
