import type { ErrorAck } from '../../protocol/src/index.js';

/** Base of every error the connection and HTTP API raise; `code` is stable, `message` for people. */
export class BowlError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * The server refused a request: its ERROR ack, as an error. Each known `code` has a subclass
 * (below), so callers can `catch (e) { if (e instanceof RateLimitedError) … }`; an unknown code
 * stays a plain RequestError.
 */
export class RequestError extends BowlError {
  /** Milliseconds to wait before trying again, when the server says (rate limits). */
  readonly retryAfterMs?: number;
  /** With `internal`: the reference the server logged the failure under. */
  readonly ref?: string;

  constructor(readonly ack: ErrorAck) {
    super(ack.code ?? 'error', ack.error);
    const { retryAfterMs, ref } = ack as ErrorAck & { retryAfterMs?: unknown };
    if (typeof retryAfterMs === 'number') this.retryAfterMs = retryAfterMs;
    if (typeof ref === 'string') this.ref = ref;
  }
}

export class ValidationError extends RequestError {}
export class UnauthorizedError extends RequestError {}
export class ForbiddenError extends RequestError {}
export class NotFoundError extends RequestError {}
export class ConflictError extends RequestError {}
export class NotAContactError extends RequestError {}
export class NotGroupAdminError extends RequestError {}
export class RateLimitedError extends RequestError {}
export class MessageTooLargeError extends RequestError {}
export class RecipientQueueFullError extends RequestError {}
export class UnknownEventError extends RequestError {}
export class InternalServerError extends RequestError {}

const REQUEST_ERRORS: Record<string, new (ack: ErrorAck) => RequestError> = {
  validation: ValidationError,
  unauthorized: UnauthorizedError,
  forbidden: ForbiddenError,
  not_found: NotFoundError,
  conflict: ConflictError,
  not_a_contact: NotAContactError,
  not_group_admin: NotGroupAdminError,
  rate_limited: RateLimitedError,
  message_too_large: MessageTooLargeError,
  recipient_queue_full: RecipientQueueFullError,
  unknown_event: UnknownEventError,
  internal: InternalServerError,
};

/** The typed error for an ERROR ack (a RequestError subclass by `code`). */
export function errorFromAck(ack: ErrorAck): RequestError {
  const ErrorClass = Object.hasOwn(REQUEST_ERRORS, ack.code)
    ? REQUEST_ERRORS[ack.code]
    : RequestError;
  return new ErrorClass(ack);
}

/** An HTTP call (register, login, refresh, logout) answered with an error status. */
export class HttpError extends BowlError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
    /** From `Retry-After` or the body's `retryAfterMs`, when the server is rate limiting. */
    readonly retryAfterMs?: number,
  ) {
    super(code, message);
  }
}

/** The connection dropped while a request that cannot safely be resent awaited its answer. */
export class ConnectionLostError extends BowlError {
  constructor(event: string) {
    super('connection_lost', `the connection dropped before ${event} was answered`);
  }
}

/** No answer within the request timeout. */
export class RequestTimeoutError extends BowlError {
  constructor(event: string, timeoutMs: number) {
    super('timeout', `${event} got no answer within ${timeoutMs} ms`);
  }
}

/** The session is over (logged out, password changed, tokens refused): log in again. */
export class SessionEndedError extends BowlError {
  constructor(readonly reason: string) {
    super('session_ended', `session ended: ${reason}`);
  }
}
