import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';
import type { AppConfig } from '@app/common';

/** Largest HTTP request body (every endpoint takes a small JSON object). */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * CORS_ORIGINS as a list of allowed browser origins, or true for `*`. Empty: none, so browsers
 * only let pages of the server's own origin call it.
 */
export function allowedOrigins(setting: string): string[] | true {
  if (setting.trim() === '*') return true;
  return setting
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
}

/**
 * Whether a socket may be opened from `origin`: no Origin header (not a browser), a page of the
 * server's own origin (the Host it called), or an allowed origin. WebSocket upgrades are not
 * subject to CORS in browsers, so the server has to check.
 */
export function originAllowed(
  origin: string | undefined,
  host: string | undefined,
  allowed: string[] | true,
): boolean {
  if (origin === undefined || allowed === true) return true;
  if (allowed.includes(origin)) return true;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

type Next = (err?: unknown) => void;

const JSON_TYPE = /^application\/([\w.+-]+\+)?json\s*(;|$)/i;

function bodyError(res: ServerResponse, statusCode: number, code: string, message: string): void {
  res.statusCode = statusCode;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify({ statusCode, message, code }));
}

/**
 * JSON only, at most MAX_BODY_BYTES (413 otherwise, 415 for another content type), helmet's
 * headers, no X-Powered-By, CORS for the configured origins, and client addresses taken from
 * X-Forwarded-For only behind TRUST_PROXY proxies.
 */
export function hardenHttp(app: INestApplication, config: AppConfig): void {
  const express = app as NestExpressApplication;
  express.disable('x-powered-by');
  express.set('trust proxy', config.TRUST_PROXY);
  express.use(helmet());
  const origins = allowedOrigins(config.CORS_ORIGINS);
  if (origins === true || origins.length > 0) {
    express.enableCors({
      origin: origins,
      methods: ['GET', 'POST'],
      allowedHeaders: ['Content-Type', 'Authorization'],
      maxAge: 600,
    });
  }
  express.use((req: IncomingMessage, res: ServerResponse, next: Next) => {
    const { headers } = req;
    const hasBody =
      headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;
    if (hasBody && !JSON_TYPE.test(headers['content-type'] ?? '')) {
      bodyError(res, 415, 'unsupported_media_type', 'request body must be application/json');
      return;
    }
    next();
  });
  express.useBodyParser('json', { limit: MAX_BODY_BYTES });
  express.use(
    (
      err: { type?: string; status?: number },
      _: IncomingMessage,
      res: ServerResponse,
      next: Next,
    ) => {
      if (err.type === 'entity.too.large') {
        bodyError(
          res,
          413,
          'payload_too_large',
          `request body must be at most ${MAX_BODY_BYTES} bytes`,
        );
      } else if (err.type === 'entity.parse.failed') {
        bodyError(res, 400, 'validation', 'request body must be valid JSON');
      } else if (typeof err.status === 'number' && err.status >= 400 && err.status < 500) {
        bodyError(res, err.status, 'bad_request', 'malformed request body');
      } else {
        next(err);
      }
    },
  );
}
