import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Logger as Pino } from 'pino';
import { AppConfig, AppExceptionFilter, AppValidationPipe } from '@app/common';
import { redisTargetOf } from '@app/database';
import { DesktopPaths } from '@app/desktop';
import { AppModule } from './app.module';
import { BowlIoAdapter } from './bowl-io.adapter';
import { allowedOrigins, hardenHttp } from './http-hardening';
import { serveWebClient } from './web-client';

/**
 * A socket.io frame above this closes its connection. Messages up to it but above
 * MAX_MESSAGE_BYTES are refused with an ERROR ack instead, so the client learns why.
 */
const MAX_FRAME_BYTES = 1024 * 1024;

/**
 * The gateway application, serving the web client too, configured but not listening. Its logs go
 * to `logger`, which Nest's Logger must already write to (main.ts: Logger.overrideLogger).
 */
export async function createApp(config: AppConfig, logger: Pino): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.forRoot(config, logger));
  await configureApp(app, config);
  serveWebClient(app); // after the HTTP hardening, so its pages get the same headers
  return app;
}

/**
 * HTTP hardening, pipes, filters and the socket.io adapter (also used by tests that build the
 * module themselves).
 */
export async function configureApp(
  app: INestApplication,
  config: AppConfig,
): Promise<INestApplication> {
  hardenHttp(app, config);
  app.useGlobalPipes(new AppValidationPipe());
  app.useGlobalFilters(new AppExceptionFilter());
  const io = new BowlIoAdapter(app, {
    maxHttpBufferSize: Math.max(MAX_FRAME_BYTES, config.MAX_MESSAGE_BYTES + 16 * 1024),
    allowedOrigins: allowedOrigins(config.CORS_ORIGINS),
    redis: redisTargetOf(config),
    redisKeyPrefix: config.REDIS_KEY_PREFIX,
    pathAlias: config.DESKTOP_COMPAT ? new DesktopPaths(config.DESKTOP_COMPAT_PREFIX) : undefined,
  });
  await io.connect();
  app.useWebSocketAdapter(io);
  return app;
}
