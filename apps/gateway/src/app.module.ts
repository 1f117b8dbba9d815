import { DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AuthModule } from '@app/auth';
import { APP_CONFIG, AppConfig } from '@app/common';
import { DatabaseModule, RedisModule } from '@app/database';
import { ConnectionGateway } from './connection.gateway';
import { HealthController } from './health.controller';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [
        DatabaseModule.forRoot(config.DATABASE_URL),
        RedisModule.forRoot(config.REDIS_URL),
        AuthModule.forRoot({ secret: config.JWT_SECRET, ttl: config.JWT_TTL }),
        TerminusModule.forRoot({ logger: false }),
      ],
      controllers: [HealthController],
      providers: [{ provide: APP_CONFIG, useValue: config }, ConnectionGateway],
      exports: [APP_CONFIG],
    };
  }
}
