import { Logger, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { guard } from '@app/common';
import type { RedisClient } from '@app/database';
import { Admission, PresenceStore } from './presence.store';

export interface RedisPresenceTiming {
  /** How often this instance proves it is alive. */
  heartbeatMs: number;
  /** How long a heartbeat counts; an instance silent for longer is dead. */
  ttlMs: number;
  /** How often each instance looks for dead ones. */
  reapEveryMs: number;
}

/** Dead instance found within ttl + reapEvery (≤ 17.5 s) of its last heartbeat. */
export const DEFAULT_PRESENCE_TIMING: RedisPresenceTiming = {
  heartbeatMs: 5_000,
  ttlMs: 15_000,
  reapEveryMs: 2_500,
};

// Each script touches one key, a user's hash of socketId → instanceId, so on a Redis Cluster
// every call stays in one slot. The instance's own set of its sockets (to clean up after a crash)
// is written by a separate command: added before the user's hash and removed after it, so a crash
// in between leaves only an entry that reaping skips.

// ARGV: socket id, instance id, most sockets a user may have. Returns the user's socket count,
// or -1 (nothing written) when a new socket would be one too many.
const ADD = `
local n = redis.call('HLEN', KEYS[1])
if n >= tonumber(ARGV[3]) and redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return -1 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return redis.call('HLEN', KEYS[1])`;

// ARGV: socket id. 1 when this removed the user's last socket.
const REMOVE = `
if redis.call('HDEL', KEYS[1], ARGV[1]) == 1 and redis.call('HLEN', KEYS[1]) == 0 then return 1 end
return 0`;

// ARGV: socket id, dead instance id. 1 when this removed the user's last socket (so of several
// reapers of one corpse, exactly one announces each user offline).
const REAP_SOCKET = `
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('HLEN', KEYS[1]) == 0 then return 1 end
return 0`;

/**
 * Fleet-wide presence in Redis keys of our own (not socket.io's fetchSockets, which times out while
 * any node is dead):
 *   <p>presence:user:<userId>          hash socketId → instanceId
 *   <p>presence:instance:<id>:sockets  set "<userId> <socketId>" (to clean up after a crash)
 *   <p>presence:instance:<id>:alive    heartbeat, expires after ttlMs
 *   <p>presence:instances              set of instance ids
 */
export class RedisPresenceStore extends PresenceStore implements OnModuleInit {
  readonly instanceId = randomUUID();
  private readonly logger = new Logger('Presence');
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly timing: RedisPresenceTiming = DEFAULT_PRESENCE_TIMING,
  ) {
    super();
  }

  private userKey = (userId: string) => `${this.prefix}presence:user:${userId}`;
  private socketsKey = (id: string) => `${this.prefix}presence:instance:${id}:sockets`;
  private aliveKey = (id: string) => `${this.prefix}presence:instance:${id}:alive`;
  private get registryKey() {
    return `${this.prefix}presence:instances`;
  }

  async onModuleInit(): Promise<void> {
    await this.heartbeat();
    this.timers = [
      setInterval(
        guard('the presence heartbeat', () => this.heartbeat()),
        this.timing.heartbeatMs,
      ),
      setInterval(
        guard('the presence reaper', () => this.reapDeadInstances()),
        this.timing.reapEveryMs,
      ),
    ];
    for (const t of this.timers) t.unref();
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    // Called after this instance's sockets were removed; drop what is left of us.
    await Promise.all([
      this.redis.del(this.aliveKey(this.instanceId)),
      this.redis.del(this.socketsKey(this.instanceId)),
      this.redis.srem(this.registryKey, this.instanceId),
    ]).catch(() => undefined);
  }

  async add(userId: string, socketId: string, maxSockets: number): Promise<Admission> {
    await this.redis.sadd(this.socketsKey(this.instanceId), `${userId} ${socketId}`);
    const count = (await this.redis.eval(
      ADD,
      1,
      this.userKey(userId),
      socketId,
      this.instanceId,
      maxSockets,
    )) as number;
    if (count === -1) {
      await this.redis.srem(this.socketsKey(this.instanceId), `${userId} ${socketId}`);
      return 'refused';
    }
    return count === 1 ? 'first' : 'more';
  }

  async remove(userId: string, socketId: string): Promise<boolean> {
    const last = (await this.redis.eval(REMOVE, 1, this.userKey(userId), socketId)) === 1;
    await this.redis.srem(this.socketsKey(this.instanceId), `${userId} ${socketId}`);
    return last;
  }

  async countOf(userId: string): Promise<number> {
    return this.redis.hlen(this.userKey(userId));
  }

  async onlineAmong(userIds: readonly string[]): Promise<Set<string>> {
    const exists = await Promise.all(userIds.map((id) => this.redis.exists(this.userKey(id))));
    return new Set(userIds.filter((_, i) => exists[i] === 1));
  }

  private async heartbeat(): Promise<void> {
    try {
      const [, added] = await Promise.all([
        this.redis.set(this.aliveKey(this.instanceId), '1', 'PX', this.timing.ttlMs),
        this.redis.sadd(this.registryKey, this.instanceId),
      ]);
      // We were missing from the registry: another instance reaped us during an outage.
      if (added === 1) await this.reregister();
    } catch (err) {
      this.logger.warn(`heartbeat failed: ${(err as Error).message}`);
    }
  }

  private async reregister(): Promise<void> {
    const cameBack: string[] = [];
    let sockets = 0;
    for (const [userId, socketId] of this.localSockets()) {
      sockets++;
      // Sockets that were admitted stay, even if the user has others elsewhere by now.
      if ((await this.add(userId, socketId, Infinity)) === 'first') cameBack.push(userId);
    }
    if (sockets === 0) return;
    this.logger.warn(`re-registered ${sockets} socket(s) after being declared dead`);
    if (cameBack.length) this.emit('online', cameBack);
  }

  /** Removes a dead instance's sockets; returns the users left with none. */
  private async reap(instanceId: string): Promise<string[]> {
    const offline = new Set<string>();
    for (const entry of await this.redis.smembers(this.socketsKey(instanceId))) {
      const [userId, socketId] = entry.split(' ');
      const last = await this.redis.eval(
        REAP_SOCKET,
        1,
        this.userKey(userId),
        socketId,
        instanceId,
      );
      if (last === 1) offline.add(userId);
    }
    await Promise.all([
      this.redis.del(this.socketsKey(instanceId)),
      this.redis.del(this.aliveKey(instanceId)),
    ]);
    return [...offline];
  }

  private async reapDeadInstances(): Promise<void> {
    try {
      const ids = (await this.redis.smembers(this.registryKey)).filter(
        (id) => id !== this.instanceId,
      );
      if (ids.length === 0) return;
      const alive = await Promise.all(ids.map((id) => this.redis.exists(this.aliveKey(id))));
      for (const [i, id] of ids.entries()) {
        // Of several instances finding the same corpse, the one that takes it off the registry
        // reaps it.
        if (alive[i] === 1 || (await this.redis.srem(this.registryKey, id)) === 0) continue;
        const users = await this.reap(id);
        this.logger.warn(
          `instance ${id} stopped heartbeating; ${users.length} user(s) went offline with it`,
        );
        if (users.length) this.emit('offline', users);
      }
    } catch (err) {
      this.logger.warn(`reaping failed: ${(err as Error).message}`);
    }
  }
}
