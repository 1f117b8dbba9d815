import { DynamicModule, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/common';
import { REDIS, RedisClient } from '@app/database';
import { PresenceRepository } from './presence.repository';
import { PresenceService } from './presence.service';
import { MemoryPresenceStore, PresenceStore } from './presence.store';
import {
  DEFAULT_PRESENCE_TIMING,
  RedisPresenceStore,
  RedisPresenceTiming,
} from './redis-presence.store';

@Module({})
export class PresenceModule {
  /** Redis-backed (fleet-wide) with REDIS_URL or REDIS_CLUSTER_NODES, in memory otherwise. */
  static forRoot(timing: RedisPresenceTiming = DEFAULT_PRESENCE_TIMING): DynamicModule {
    return {
      module: PresenceModule,
      global: true,
      providers: [
        {
          provide: PresenceStore,
          inject: [REDIS, APP_CONFIG],
          useFactory: (redis: RedisClient | null, config: AppConfig) =>
            redis
              ? new RedisPresenceStore(redis, config.REDIS_KEY_PREFIX, timing)
              : new MemoryPresenceStore(),
        },
        PresenceRepository,
        PresenceService,
      ],
      exports: [PresenceService],
    };
  }
}
