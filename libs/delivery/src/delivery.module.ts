import { Module } from '@nestjs/common';
import type Redis from 'ioredis';
import { APP_CONFIG, AppConfig } from '@app/common';
import { ContactsModule } from '@app/contacts';
import { createRedisClient, REDIS } from '@app/database';
import { GroupsModule } from '@app/groups';
import { DeliveryService } from './delivery.service';
import { MailBus, MemoryMailBus, RedisMailBus } from './mail-bus';
import { MessagesRepository } from './messages.repository';

@Module({
  imports: [ContactsModule, GroupsModule],
  providers: [
    {
      provide: MailBus,
      inject: [REDIS, APP_CONFIG],
      useFactory: async (redis: Redis | null, config: AppConfig): Promise<MailBus> => {
        if (!redis || !config.REDIS_URL) return new MemoryMailBus();
        const bus = new RedisMailBus(
          redis,
          createRedisClient(config.REDIS_URL, 'mail-sub'),
          config.REDIS_KEY_PREFIX,
        );
        await bus.start();
        return bus;
      },
    },
    MessagesRepository,
    DeliveryService,
  ],
  exports: [DeliveryService],
})
export class DeliveryModule {}
