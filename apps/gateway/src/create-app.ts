import { INestApplication, LogLevel as NestLogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  AppConfig,
  AppExceptionFilter,
  AppValidationPipe,
  LOG_LEVELS,
  LogLevel,
} from '@app/common';
import { AppModule } from './app.module';
import { BowlIoAdapter } from './bowl-io.adapter';
import { serveWebClient } from './web-client';

/** Room for the payload fields around the largest ciphertext a frame may carry. */
const FRAME_OVERHEAD_BYTES = 16 * 1024;

/** The gateway application, serving the web client too, configured but not listening. */
export async function createApp(config: AppConfig): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.forRoot(config), {
    logger: logLevelsUpTo(config.LOG_LEVEL),
  });
  serveWebClient(app);
  return configureApp(app, config);
}

/** Pipes, filters and the socket.io adapter (also used by tests that build the module themselves). */
export async function configureApp(
  app: INestApplication,
  config: AppConfig,
): Promise<INestApplication> {
  app.useGlobalPipes(new AppValidationPipe());
  app.useGlobalFilters(new AppExceptionFilter());
  const io = new BowlIoAdapter(app, {
    maxHttpBufferSize: config.MAX_MESSAGE_BYTES + FRAME_OVERHEAD_BYTES,
    redisUrl: config.REDIS_URL,
    redisKeyPrefix: config.REDIS_KEY_PREFIX,
  });
  await io.connect();
  app.useWebSocketAdapter(io);
  return app;
}

export function logLevelsUpTo(level: LogLevel): NestLogLevel[] {
  return LOG_LEVELS.slice(0, LOG_LEVELS.indexOf(level) + 1);
}
