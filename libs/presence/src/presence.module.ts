import { DynamicModule, Module } from '@nestjs/common';
import type Redis from 'ioredis';
import { APP_CONFIG, AppConfig } from '@app/common';
import { REDIS } from '@app/database';
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
  /** Redis-backed (fleet-wide) when REDIS_URL is set, in memory otherwise. */
  static forRoot(timing: RedisPresenceTiming = DEFAULT_PRESENCE_TIMING): DynamicModule {
    return {
      module: PresenceModule,
      global: true,
      providers: [
        {
          provide: PresenceStore,
          inject: [REDIS, APP_CONFIG],
          useFactory: (redis: Redis | null, config: AppConfig) =>
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
