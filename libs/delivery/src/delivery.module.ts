import { Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/common';
import { createRedisClient, REDIS, REDIS_TARGET, RedisClient, RedisTarget } from '@app/database';
import { MessagesRepository } from './messages.repository';
import { BroadcastMailBus, MailBus, MemoryMailBus, RedisMailBus } from './pump/mail-bus';
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
      inject: [REDIS, REDIS_TARGET, APP_CONFIG],
      useFactory: async (
        redis: RedisClient | null,
        target: RedisTarget | null,
        config: AppConfig,
      ): Promise<MailBus> => {
        if (!redis || !target) return new MemoryMailBus();
        const subscriber = createRedisClient(target, 'mail-sub', { subscriber: true });
        await subscriber.connect();
        if (config.NOTICE_ROUTING === 'broadcast') {
          const bus = new BroadcastMailBus(redis, subscriber, config.REDIS_KEY_PREFIX);
          await bus.start();
          return bus;
        }
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
