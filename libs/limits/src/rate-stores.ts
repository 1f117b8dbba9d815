import { Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { RedisClient } from '@app/database';
import { Gcra, gcraAdvance, gcraWait } from './gcra';

/** Where the buckets live: Redis for a fleet, this process's memory for a single instance. */
export interface RateStore {
  /** Takes `cost` from the bucket at `key`: 0 if allowed, else ms until it would be. */
  take(key: string, g: Gcra, cost: number): Promise<number>;
}

/**
 * gcra.ts in Lua, on Redis's clock so that every instance sees the same time. KEYS[1] is the
 * bucket's TAT in ms (kept to full double precision); ARGV: interval ms, burst, cost.
 */
const GCRA_LUA = `
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
if cost > 0 then
  local wait = tat + (cost - burst) * interval - now
  if wait > 0 then return math.ceil(wait) end
end
local next_tat = tat + cost * interval
if next_tat > now then
  redis.call('SET', KEYS[1], string.format('%.17g', next_tat), 'PX', math.ceil(next_tat - now))
else
  redis.call('DEL', KEYS[1])
end
return 0`;
const GCRA_SHA = createHash('sha1').update(GCRA_LUA).digest('hex');

/**
 * Fleet-wide buckets: one EVALSHA per check (EVAL once per Redis server to load the script).
 * Fails open: while Redis is unreachable nothing is limited, since refusing every send would turn
 * a Redis outage into a chat outage.
 */
export class RedisRateStore implements RateStore {
  private readonly logger = new Logger('RateLimits');
  private failing = false;

  constructor(private readonly redis: RedisClient) {}

  async take(key: string, g: Gcra, cost: number): Promise<number> {
    if (this.redis.status !== 'ready') return this.failOpen('Redis is not connected');
    try {
      let wait: unknown;
      try {
        wait = await this.redis.evalsha(GCRA_SHA, 1, key, g.intervalMs, g.burst, cost);
      } catch (err) {
        if (!(err as Error).message.startsWith('NOSCRIPT')) throw err;
        wait = await this.redis.eval(GCRA_LUA, 1, key, g.intervalMs, g.burst, cost);
      }
      this.failing = false;
      return wait as number;
    } catch (err) {
      return this.failOpen((err as Error).message);
    }
  }

  private failOpen(why: string): number {
    if (!this.failing) this.logger.warn(`rate limits not enforced: ${why}`);
    this.failing = true;
    return 0;
  }
}

/** Buckets of a single instance. Idle ones are swept once the map grows. */
export class MemoryRateStore implements RateStore {
  private readonly tats = new Map<string, number>();
  private sweepAt = 10_000;

  take(key: string, g: Gcra, cost: number): Promise<number> {
    const now = Date.now();
    const tat = this.tats.get(key);
    const wait = gcraWait(tat, now, g, cost);
    if (wait === 0) {
      const next = gcraAdvance(tat, now, g, cost);
      if (next > now) this.tats.set(key, next);
      else this.tats.delete(key);
      if (this.tats.size >= this.sweepAt) this.sweep(now);
    }
    return Promise.resolve(wait);
  }

  private sweep(now: number): void {
    for (const [key, tat] of this.tats) if (tat <= now) this.tats.delete(key);
    this.sweepAt = Math.max(10_000, this.tats.size * 2);
  }
}
