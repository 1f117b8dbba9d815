import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { WsException } from '@nestjs/websockets';
import { DomainError, ErrorKind, errorCode } from './errors';
import { internalErrorAck, logInternalError } from './guard';

const HTTP_STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
  unavailable: 503,
};

export interface ErrorAck {
  status: 'ERROR';
  error: string;
  /** Stable name of the refusal (see DomainError.code); "validation", "internal", … otherwise. */
  code: string;
  ref?: string;
  [detail: string]: unknown;
}

/** An exception as the client is told about it. */
export interface ResolvedError {
  httpStatus: number;
  message: string;
  code: string;
  details?: Record<string, unknown>;
  ref?: string;
  /** Extra detail an HttpException carries (e.g. the health report of a 503). */
  body?: object;
}

/**
 * The one place where exceptions meet the wire. Over a socket every failure becomes the ack
 * `{status:"ERROR", error}` and the socket stays connected; over HTTP it becomes a JSON body with
 * a human-readable `message`. Unexpected errors are logged with a correlation id and reported to
 * the client as "internal error" with that id, never with a stack.
 */
@Catch()
export class AppExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() === 'ws') {
      const ack = host.getArgs().findLast((arg: unknown) => typeof arg === 'function') as
        ((reply: ErrorAck) => void) | undefined;
      const reply = toErrorAck(exception, this.logger);
      if (ack) ack(reply);
      else
        host
          .switchToWs()
          .getClient<{ emit(ev: string, d: unknown): void }>()
          .emit('exception', reply);
      return;
    }
    if (host.getType() === 'http') {
      const resolved = resolve(exception, this.logger);
      const res = host.switchToHttp().getResponse<{
        setHeader(name: string, value: string): void;
        status(code: number): { json(body: unknown): void };
      }>();
      const retryAfterMs = resolved.details?.retryAfterMs;
      if (typeof retryAfterMs === 'number') {
        res.setHeader('Retry-After', String(Math.ceil(retryAfterMs / 1000)));
      }
      res.status(resolved.httpStatus).json(this.httpBody(resolved));
    }
  }

  /** The JSON body of an HTTP error; a client with its own error shape overrides it. */
  protected httpBody(resolved: ResolvedError): object {
    return {
      statusCode: resolved.httpStatus,
      ...resolved.body,
      ...resolved.details,
      message: resolved.message,
      code: resolved.code,
      ...(resolved.ref && { ref: resolved.ref }),
    };
  }
}

/** What a socket client gets for an exception: `{status:"ERROR", error, code}` (+ details, ref). */
export function toErrorAck(exception: unknown, logger?: Logger): ErrorAck {
  const resolved = resolve(exception, logger);
  const reply: ErrorAck = {
    ...resolved.details,
    status: 'ERROR',
    error: resolved.message,
    code: resolved.code,
  };
  if (resolved.ref) reply.ref = resolved.ref;
  return reply;
}

function resolve(exception: unknown, logger?: Logger): ResolvedError {
  if (exception instanceof DomainError) {
    return {
      httpStatus: HTTP_STATUS[exception.kind],
      message: exception.message,
      code: exception.code,
      details: exception.details,
    };
  }
  if (exception instanceof HttpException) {
    const body = exception.getResponse();
    const httpStatus = exception.getStatus();
    return {
      httpStatus,
      message: httpMessage(exception),
      code: httpStatus === 400 ? 'validation' : errorCode(exception.name),
      body: typeof body === 'object' ? body : undefined,
    };
  }
  if (isExposedClientError(exception)) {
    // body-parser's refusals (a body too large, or not JSON) before any handler runs.
    return {
      httpStatus: exception.status,
      message: exception.message,
      code: errorCode(exception.name),
    };
  }
  if (exception instanceof WsException) {
    const error = exception.getError();
    return {
      httpStatus: 400,
      message: typeof error === 'string' ? error : 'bad request',
      code: 'bad_request',
    };
  }
  const { error, code, ref } = internalErrorAck(logInternalError('a handler', exception, logger));
  return { httpStatus: 500, message: error, code, ref };
}

/** An http-errors 4xx (what Express middleware throws) whose message is meant for the client. */
function isExposedClientError(
  exception: unknown,
): exception is Error & { status: number; expose: true } {
  const { status, expose } = (exception ?? {}) as { status?: unknown; expose?: unknown };
  return (
    exception instanceof Error &&
    expose === true &&
    typeof status === 'number' &&
    status >= 400 &&
    status < 500
  );
}

function httpMessage(exception: HttpException): string {
  const body = exception.getResponse();
  if (typeof body === 'string') return body;
  const message = (body as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}
