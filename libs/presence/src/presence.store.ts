import { EventEmitter } from 'node:events';

/**
 * Which users have at least one socket anywhere in the fleet. `add` and `remove` say whether the
 * call made the user come online or go offline, so `online`/`offline` are announced exactly once.
 * The store emits 'offline' (user ids) when it finds the sockets of a dead instance, and 'online'
 * when it re-registers its own sockets after an outage made others think it dead.
 */
export abstract class PresenceStore extends EventEmitter<{
  online: [string[]];
  offline: [string[]];
}> {
  /** Registers a socket; true when it is the user's first socket in the fleet. */
  abstract add(userId: string, socketId: string): Promise<boolean>;
  /** Forgets a socket; true when it was the user's last socket in the fleet. */
  abstract remove(userId: string, socketId: string): Promise<boolean>;
  /** The subset of `userIds` that have a socket somewhere. */
  abstract onlineAmong(userIds: readonly string[]): Promise<Set<string>>;
  /** Leaves the fleet cleanly (after this instance's sockets were removed). */
  async stop(): Promise<void> {}

  /** This instance's sockets as [userId, socketId] (the gateway knows them; nothing is copied). */
  localSockets: () => Iterable<[userId: string, socketId: string]> = () => [];
}

/** Single instance (no REDIS_URL): presence is this process's own sockets. */
export class MemoryPresenceStore extends PresenceStore {
  private readonly sockets = new Map<string, Set<string>>();

  async add(userId: string, socketId: string): Promise<boolean> {
    const mine = this.sockets.get(userId) ?? new Set<string>();
    mine.add(socketId);
    this.sockets.set(userId, mine);
    return mine.size === 1;
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
