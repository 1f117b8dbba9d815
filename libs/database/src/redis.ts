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

/**
 * An ioredis client that survives an outage: it reconnects forever and reports errors instead of
 * crashing the process (an ioredis client without an `error` listener throws).
 */
export function createRedisClient(url: string, name: string): Redis {
  const client = new Redis(url, {
    connectionName: `bowl-${name}`,
    maxRetriesPerRequest: 2,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    lazyConnect: true,
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
export async function closeRedisClient(client: Redis | Cluster): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, 1000)));
  await Promise.race([client.quit().catch(() => undefined), timeout]);
  clearTimeout(timer);
  client.disconnect();
}

/** The shared command connection to Redis, or null when REDIS_URL is unset (single instance). */
export const REDIS = Symbol('REDIS');

@Injectable()
class RedisCloser implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis | null) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.redis) await closeRedisClient(this.redis);
  }
}

@Global()
@Module({})
export class RedisModule {
  static forRoot(url: string | undefined): DynamicModule {
    return {
      module: RedisModule,
      providers: [
        {
          provide: REDIS,
          useFactory: async (): Promise<Redis | null> => {
            if (!url) return null;
            const client = createRedisClient(url, 'commands');
            await client.connect();
            return client;
          },
        },
        RedisCloser,
      ],
      exports: [REDIS],
    };
  }
}
