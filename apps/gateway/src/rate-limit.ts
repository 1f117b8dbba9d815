import { SetMetadata } from '@nestjs/common';
import type { LimitName } from '@app/limits';

const RATE_LIMIT = Symbol('bowl:rate-limit');

/**
 * The fleet-wide limit a socket event counts against, per user. SocketRouter checks it (one Redis
 * round trip) after the socket's own RATE_LIMIT_SOCKET_EVENTS bucket, before the payload is read.
 */
export const RateLimit = (limit: LimitName) => SetMetadata(RATE_LIMIT, limit);

export const rateLimitOf = (handler: unknown): LimitName | undefined =>
  typeof handler === 'function'
    ? (Reflect.getMetadata(RATE_LIMIT, handler) as LimitName | undefined)
    : undefined;
