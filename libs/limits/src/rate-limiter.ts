import { Inject, Injectable, Optional } from '@nestjs/common';
import { APP_CONFIG, AppConfig, parseRate } from '@app/common';
import { REDIS, RedisClient } from '@app/database';
import { Gcra, gcraAdvance, gcraOf, gcraWait } from './gcra';
import { RateLimitedError } from './limits.errors';
import { MemoryRateStore, RateStore, RedisRateStore } from './rate-stores';

/** The fleet-wide limits and the setting each one reads. */
export const LIMIT_SETTINGS = {
  message: 'RATE_LIMIT_MESSAGES',
  contactRequest: 'RATE_LIMIT_CONTACT_REQUESTS',
  groupInvitation: 'RATE_LIMIT_GROUP_INVITATIONS',
  connectionPerUser: 'RATE_LIMIT_CONNECTIONS_PER_USER',
  connectionPerIp: 'RATE_LIMIT_CONNECTIONS_PER_IP',
  registerPerIp: 'RATE_LIMIT_REGISTER_PER_IP',
  registerPerAccount: 'RATE_LIMIT_REGISTER_PER_ACCOUNT',
  loginFailurePerIp: 'RATE_LIMIT_LOGIN_FAILURES_PER_IP',
  loginFailurePerAccount: 'RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT',
  desktopLookupPerIp: 'RATE_LIMIT_DESKTOP_LOOKUPS_PER_IP',
} as const satisfies Record<string, keyof AppConfig>;

export type LimitName = keyof typeof LIMIT_SETTINGS;

/** Something that carries its own bucket (a socket's data), for limits local to an instance. */
export interface LocalBucket {
  rateTat?: number;
}

/** Bucket keys kept per id, so that a hot path builds no string per check. */
const KEY_CACHE_SIZE = 10_000;

/**
 * Rate limits: fleet-wide buckets in Redis (one round trip per check), in memory without
 * REDIS_URL, and per-socket buckets in the socket itself. Keys are `<prefix>{rl:<limit>:<id>}`,
 * one hash slot per bucket so that a Redis Cluster can hold them.
 */
@Injectable()
export class RateLimiter {
  private readonly rates = new Map<LimitName, Gcra>();
  private readonly keys = new Map<LimitName, Map<string, string>>();
  private readonly store: RateStore;
  /** RATE_LIMIT_SOCKET_EVENTS, or null when off. */
  private readonly perSocket: Gcra | null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() @Inject(REDIS) redis: RedisClient | null,
  ) {
    this.store = redis ? new RedisRateStore(redis) : new MemoryRateStore();
    for (const [name, setting] of Object.entries(LIMIT_SETTINGS) as [LimitName, string][]) {
      const rate = parseRate(config[setting as keyof AppConfig] as string);
      if (rate) this.rates.set(name, gcraOf(rate));
    }
    const perSocket = parseRate(config.RATE_LIMIT_SOCKET_EVENTS);
    this.perSocket = perSocket ? gcraOf(perSocket) : null;
  }

  /** Counts one for `id` under `limit`; RateLimitedError when over it. */
  async consume(limit: LimitName, id: string): Promise<void> {
    const wait = await this.take(limit, id, 1);
    if (wait > 0) throw new RateLimitedError(wait);
  }

  /**
   * Counts one under each limit (one round trip each, in parallel). When any is over, gives back
   * what was counted and throws RateLimitedError with the longest wait. Otherwise returns a way to
   * give them back (e.g. once a login turns out right).
   */
  async consumeAll(
    checks: readonly (readonly [LimitName, string])[],
  ): Promise<() => Promise<void>> {
    const waits = await Promise.all(checks.map(([limit, id]) => this.take(limit, id, 1)));
    const counted = checks.filter((_, i) => waits[i] === 0);
    const giveBack = async () => {
      await Promise.all(counted.map(([limit, id]) => this.take(limit, id, -1)));
    };
    const wait = Math.max(...waits);
    if (wait > 0) {
      await giveBack();
      throw new RateLimitedError(wait);
    }
    return giveBack;
  }

  /** 0 when allowed (and counted), else the ms to wait. A limit set to `off` always allows. */
  take(limit: LimitName, id: string, cost: number): Promise<number> {
    const rate = this.rates.get(limit);
    if (!rate) return Promise.resolve(0);
    return this.store.take(this.keyOf(limit, id), rate, cost);
  }

  /** One event on a socket's own bucket (RATE_LIMIT_SOCKET_EVENTS); RateLimitedError when over. */
  consumeLocal(bucket: LocalBucket): void {
    const rate = this.perSocket;
    if (!rate) return;
    const now = Date.now();
    const wait = gcraWait(bucket.rateTat, now, rate, 1);
    if (wait > 0) throw new RateLimitedError(wait);
    bucket.rateTat = gcraAdvance(bucket.rateTat, now, rate, 1);
  }

  private keyOf(limit: LimitName, id: string): string {
    let keys = this.keys.get(limit);
    if (!keys) this.keys.set(limit, (keys = new Map()));
    let key = keys.get(id);
    if (key === undefined) {
      if (keys.size >= KEY_CACHE_SIZE) keys.clear();
      key = `${this.config.REDIS_KEY_PREFIX}{rl:${limit}:${id}}`;
      keys.set(id, key);
    }
    return key;
  }
}
