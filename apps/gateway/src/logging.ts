import type { LoggerService } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Logger as NestPinoLogger, Params, PinoLogger } from 'nestjs-pino';
import { pino, Logger as Pino, stdTimeFunctions } from 'pino';
import type { LogLevel } from '@app/common';

/** What every log line caused by one socket's handshake, connection or event carries. */
export interface SocketLogContext {
  /** The socket.io socket id: the correlation id of everything one socket causes. */
  socket: string;
  /** The event being handled (a name the server knows, or `unknown`). */
  event?: string;
}

/**
 * The socket context of the code running now, entered by the connection path and by
 * SocketRouter.dispatch, and read by every log line (pino's mixin). HTTP requests get theirs
 * (`reqId`) from nestjs-pino's own context.
 */
export const logContext = new AsyncLocalStorage<SocketLogContext>();

const PINO_LEVELS: Record<LogLevel, pino.Level> = {
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

/**
 * Secrets that could reach a log line: the headers of an HTTP request (logged with its
 * completion line). Bodies are never logged at all, nor socket payloads.
 */
const REDACTED = ['req.headers.authorization', 'req.headers.cookie'];

/**
 * The process's one logger: a JSON line per call on stdout, at LOG_LEVEL and above. Written
 * synchronously, so lines keep their order and none is lost when the process exits.
 */
export function createLogger(level: LogLevel): Pino {
  return pino(
    {
      level: PINO_LEVELS[level],
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // A copy: pino merges each line's own fields into what mixin returns.
      mixin: () => ({ ...logContext.getStore() }),
      redact: REDACTED,
    },
    pino.destination({ dest: 1, sync: true }),
  );
}

/** Nest's LoggerService over that logger, so every `new Logger(context)` call writes JSON. */
export function nestLogger(logger: Pino): LoggerService {
  return new NestPinoLogger(new PinoLogger({ pinoHttp: { logger } }), {});
}

/** A client's X-Request-Id is kept if it is a plausible id (no spaces, no control characters). */
const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Paths polled by probes and scrapers: their requests are not logged one by one. */
const QUIET_PATHS = /^\/(health|metrics)(\/|\?|$)/;

/**
 * nestjs-pino's settings: every HTTP request gets a request id (the client's X-Request-Id, or a
 * new UUID), sent back in X-Request-Id and carried by every line the request causes (`reqId`),
 * and one line when it completes (method, URL, headers but the redacted ones, status, time).
 */
export function httpLogging(logger: Pino): Params {
  return {
    pinoHttp: {
      logger,
      quietReqLogger: true,
      genReqId: (req: IncomingMessage, res: ServerResponse) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      autoLogging: { ignore: (req: IncomingMessage) => QUIET_PATHS.test(req.url ?? '') },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
      serializers: { res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }) },
    },
  };
}
