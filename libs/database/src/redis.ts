import {
  DynamicModule,
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  OnApplicationShutdown,
} from '@nestjs/common';
import Redis, { Cluster } from 'ioredis';
import { guard } from '@app/common';

const logger = new Logger('Redis');

/** Errors seen on the connections to each dependency, for /metrics. */
export const dependencyErrors = { database: 0, redis: 0 };

/** One Redis server, or the nodes of a Redis Cluster to start from. */
export type RedisTarget = { url: string } | { clusterNodes: { host: string; port: number }[] };

/** A connection to either: the commands Bowl uses work on both. */
export type RedisClient = Redis | Cluster;

/** Where the fleet's Redis is (REDIS_URL or REDIS_CLUSTER_NODES), or undefined: single instance. */
export function redisTargetOf(config: {
  REDIS_URL?: string;
  REDIS_CLUSTER_NODES?: string;
}): RedisTarget | undefined {
  if (config.REDIS_CLUSTER_NODES) {
    const clusterNodes = config.REDIS_CLUSTER_NODES.split(',').map((node) => {
      const url = new URL(node.includes('://') ? node.trim() : `redis://${node.trim()}`);
      return { host: url.hostname, port: Number(url.port || 6379) };
    });
    return { clusterNodes };
  }
  return config.REDIS_URL ? { url: config.REDIS_URL } : undefined;
}

export const isCluster = (client: RedisClient): client is Cluster =>
  (client as { isCluster?: boolean }).isCluster === true;

/**
 * An ioredis client that survives an outage: it reconnects forever and reports errors instead of
 * crashing the process (an ioredis client without an `error` listener throws). On a cluster, a
 * `subscriber` keeps one sharded-subscription connection per shard.
 */
export function createRedisClient(
  target: RedisTarget,
  name: string,
  options: { subscriber?: boolean } = {},
): RedisClient {
  const redisOptions = {
    connectionName: `bowl-${name}`,
    maxRetriesPerRequest: 2,
    retryStrategy: (attempt: number) => Math.min(attempt * 200, 2000),
    lazyConnect: true,
    // Commands issued in the same tick go out in one write: under load, many per message sent.
    enableAutoPipelining: options.subscriber !== true,
  };
  const client =
    'url' in target
      ? new Redis(target.url, redisOptions)
      : new Cluster(target.clusterNodes, {
          redisOptions,
          lazyConnect: true,
          enableAutoPipelining: options.subscriber !== true,
          shardedSubscribers: options.subscriber === true,
          clusterRetryStrategy: (attempt: number) => Math.min(attempt * 200, 2000),
        });
  let down = false;
  client.on(
    'error',
    guard(`the ${name} Redis error listener`, (err: Error) => {
      dependencyErrors.redis++;
      if (!down) logger.warn(`${name}: ${err.message}`);
      down = true;
    }),
  );
  client.on(
    'ready',
    guard(`the ${name} Redis ready listener`, () => {
      if (down) logger.log(`${name}: reconnected`);
      down = false;
    }),
  );
  return client;
}

/** Closes a client politely if Redis answers within a second, and at once otherwise (outage). */
export async function closeRedisClient(client: RedisClient): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, 1000)));
  await Promise.race([client.quit().catch(() => undefined), timeout]);
  clearTimeout(timer);
  client.disconnect();
}

/** The shared command connection to Redis, or null without one (single instance). */
export const REDIS = Symbol('REDIS');

/** Where REDIS connects (null: single instance), for the other connections a library opens. */
export const REDIS_TARGET = Symbol('REDIS_TARGET');

@Injectable()
class RedisCloser implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: RedisClient | null) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.redis) await closeRedisClient(this.redis);
  }
}

@Global()
@Module({})
export class RedisModule {
  static forRoot(target: RedisTarget | undefined): DynamicModule {
    return {
      module: RedisModule,
      providers: [
        { provide: REDIS_TARGET, useValue: target ?? null },
        {
          provide: REDIS,
          useFactory: async (): Promise<RedisClient | null> => {
            if (!target) return null;
            const client = createRedisClient(target, 'commands');
            await client.connect();
            return client;
          },
        },
        RedisCloser,
      ],
      exports: [REDIS, REDIS_TARGET],
    };
  }
}
