import { Logger, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { guard } from '@app/common';
import { PresenceStore } from './presence.store';

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

// KEYS: user hash, instance socket set. ARGV: socket id, instance id, "<user> <socket>".
const ADD = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
return redis.call('HLEN', KEYS[1])`;

const REMOVE = `
local removed = redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[2], ARGV[3])
if removed == 1 and redis.call('HLEN', KEYS[1]) == 0 then return 1 end
return 0`;

// KEYS: dead instance's socket set, instance registry. ARGV: user key prefix, dead instance id.
// Atomic, so when several instances reap the same corpse only the first one sees its sockets.
const REAP = `
local offline = {}
for _, entry in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local sep = string.find(entry, ' ', 1, true)
  local user, sock = string.sub(entry, 1, sep - 1), string.sub(entry, sep + 1)
  local key = ARGV[1] .. user
  if redis.call('HGET', key, sock) == ARGV[2] then redis.call('HDEL', key, sock) end
  if redis.call('HLEN', key) == 0 then offline[#offline + 1] = user end
end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[2])
return offline`;

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
    private readonly redis: Redis,
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
    await this.redis
      .multi()
      .del(this.aliveKey(this.instanceId), this.socketsKey(this.instanceId))
      .srem(this.registryKey, this.instanceId)
      .exec()
      .catch(() => undefined);
  }

  async add(userId: string, socketId: string): Promise<boolean> {
    return (await this.runForSocket(ADD, userId, socketId)) === 1;
  }

  async remove(userId: string, socketId: string): Promise<boolean> {
    return (await this.runForSocket(REMOVE, userId, socketId)) === 1;
  }

  /** ADD or REMOVE for one socket of this instance. */
  private async runForSocket(script: string, userId: string, socketId: string): Promise<number> {
    const keys = [this.userKey(userId), this.socketsKey(this.instanceId)];
    return (await this.redis.eval(
      script,
      2,
      ...keys,
      socketId,
      this.instanceId,
      `${userId} ${socketId}`,
    )) as number;
  }

  async onlineAmong(userIds: readonly string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const pipeline = this.redis.pipeline();
    for (const id of userIds) pipeline.exists(this.userKey(id));
    const results = (await pipeline.exec()) ?? [];
    return new Set(userIds.filter((_, i) => results[i]?.[1] === 1));
  }

  private async heartbeat(): Promise<void> {
    try {
      const [, [, added]] = (await this.redis
        .multi()
        .set(this.aliveKey(this.instanceId), '1', 'PX', this.timing.ttlMs)
        .sadd(this.registryKey, this.instanceId)
        .exec()) as [unknown, [unknown, number]];
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
      if (await this.add(userId, socketId)) cameBack.push(userId);
    }
    if (sockets === 0) return;
    this.logger.warn(`re-registered ${sockets} socket(s) after being declared dead`);
    if (cameBack.length) this.emit('online', cameBack);
  }

  private async reapDeadInstances(): Promise<void> {
    try {
      const ids = (await this.redis.smembers(this.registryKey)).filter(
        (id) => id !== this.instanceId,
      );
      if (ids.length === 0) return;
      const pipeline = this.redis.pipeline();
      for (const id of ids) pipeline.exists(this.aliveKey(id));
      const alive = (await pipeline.exec()) ?? [];
      for (const [i, id] of ids.entries()) {
        if (alive[i]?.[1] === 1) continue;
        const offline = (await this.redis.eval(
          REAP,
          2,
          this.socketsKey(id),
          this.registryKey,
          this.userKey(''),
          id,
        )) as string[];
        const users = [...new Set(offline)];
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
