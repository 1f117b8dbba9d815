import { DynamicModule, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import type { Logger as Pino } from 'pino';
import { AuthModule } from '@app/auth';
import { APP_CONFIG, AppConfig, BOWL_DIALECT, Metrics, Notifier } from '@app/common';
import { ContactsModule } from '@app/contacts';
import { DatabaseModule, RedisModule, redisTargetOf } from '@app/database';
import { DeliveryModule, DeliveryTransport } from '@app/delivery';
import { DESKTOP_DIALECT, DesktopModule } from '@app/desktop';
import { GroupsModule } from '@app/groups';
import { LimitsModule } from '@app/limits';
import { PresenceModule } from '@app/presence';
import { ConnectionGateway } from './connection.gateway';
import { ContactsGateway } from './contacts.gateway';
import { GroupsGateway } from './groups.gateway';
import { HealthController } from './health.controller';
import { createLogger, httpLogging } from './logging';
import { MessagesGateway } from './messages.gateway';
import { MetricsController } from './metrics.controller';
import { PrometheusMetrics } from './prometheus-metrics';
import { SessionGateway } from './session.gateway';
import { Shutdown } from './shutdown';
import { SocketNotifier } from './socket-notifier';
import { SocketRouter } from './socket-router';
import { SocketTransport } from './socket-transport';

@Module({})
export class AppModule {
  /** `logger`: the process's JSON logger (main.ts); one at LOG_LEVEL otherwise (tests). */
  static forRoot(config: AppConfig, logger: Pino = createLogger(config.LOG_LEVEL)): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [
        LoggerModule.forRoot(httpLogging(logger)),
        DatabaseModule.forRoot(config.DATABASE_URL),
        RedisModule.forRoot(redisTargetOf(config)),
        AuthModule.forRoot({
          secret: config.JWT_SECRET,
          ttl: config.JWT_TTL,
          refreshTtl: config.REFRESH_TOKEN_TTL,
          // `auth.token`: Bowl's protocol; a `token` header: the desktop's (docs/desktop.md).
          socketDialects: config.DESKTOP_COMPAT ? [BOWL_DIALECT, DESKTOP_DIALECT] : [BOWL_DIALECT],
        }),
        LimitsModule,
        TerminusModule.forRoot({ logger: false }),
        DiscoveryModule,
        ContactsModule,
        GroupsModule,
        DeliveryModule,
        PresenceModule.forRoot(),
        DesktopModule.forRoot(config),
      ],
      controllers: [HealthController, MetricsController],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        Shutdown,
        SocketNotifier,
        { provide: Notifier, useExisting: SocketNotifier },
        SocketTransport,
        { provide: DeliveryTransport, useExisting: SocketTransport },
        PrometheusMetrics,
        { provide: Metrics, useExisting: PrometheusMetrics },
        SocketRouter,
        ConnectionGateway,
        ContactsGateway,
        GroupsGateway,
        MessagesGateway,
        SessionGateway,
      ],
      exports: [APP_CONFIG, Notifier, DeliveryTransport, Metrics],
    };
  }
}
