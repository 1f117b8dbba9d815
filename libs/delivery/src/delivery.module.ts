import { Module } from '@nestjs/common';
import type Redis from 'ioredis';
import { APP_CONFIG, AppConfig } from '@app/common';
import { createRedisClient, REDIS } from '@app/database';
import { MessagesRepository } from './messages.repository';
import { MailBus, MemoryMailBus, RedisMailBus } from './pump/mail-bus';
import { PumpHub } from './pump/pump-hub';
import { RetentionService } from './retention/retention.service';
import { SendService } from './send/send.service';

/**
 * Store-and-forward delivery of 1:1 and group messages. Needs a DeliveryTransport (the gateway's
 * sockets) from the application.
 */
@Module({
  providers: [
    {
      provide: MailBus,
      inject: [REDIS, APP_CONFIG],
      useFactory: async (redis: Redis | null, config: AppConfig): Promise<MailBus> => {
        if (!redis || !config.REDIS_URL) return new MemoryMailBus();
        const subscriber = createRedisClient(config.REDIS_URL, 'mail-sub');
        await subscriber.connect();
        return new RedisMailBus(redis, subscriber, config.REDIS_KEY_PREFIX);
      },
    },
    MessagesRepository,
    SendService,
    PumpHub,
    RetentionService,
  ],
  exports: [SendService, PumpHub, RetentionService, MailBus],
})
export class DeliveryModule {}
