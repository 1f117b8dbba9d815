import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { WsException } from '@nestjs/websockets';
import { randomUUID } from 'node:crypto';
import { DomainError, ErrorKind, errorCode } from './errors';

const HTTP_STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
};

export interface ErrorAck {
  status: 'ERROR';
  error: string;
  /** Stable name of the refusal (see DomainError.code); "validation", "internal", … otherwise. */
  code: string;
  ref?: string;
  [detail: string]: unknown;
}

interface Resolved {
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
      this.answerSocket(exception, host.switchToWs().getClient(), ack);
      return;
    }
    const resolved = this.resolve(exception);
    if (host.getType() === 'http') {
      const res = host.switchToHttp().getResponse<{
        setHeader(name: string, value: string): void;
        status(code: number): { json(body: unknown): void };
      }>();
      const retryAfterMs = resolved.details?.retryAfterMs;
      if (typeof retryAfterMs === 'number') {
        res.setHeader('Retry-After', String(Math.ceil(retryAfterMs / 1000)));
      }
      res.status(resolved.httpStatus).json({
        statusCode: resolved.httpStatus,
        ...resolved.body,
        ...resolved.details,
        message: resolved.message,
        code: resolved.code,
        ...(resolved.ref && { ref: resolved.ref }),
      });
    }
  }

  /**
   * The ERROR ack for a failed socket event, through its ack callback, or as an `exception`
   * event when the client sent none.
   */
  answerSocket(
    exception: unknown,
    socket: { emit(event: string, reply: ErrorAck): unknown },
    ack?: (reply: ErrorAck) => void,
  ): void {
    const resolved = this.resolve(exception);
    const reply: ErrorAck = {
      ...resolved.details,
      status: 'ERROR',
      error: resolved.message,
      code: resolved.code,
    };
    if (resolved.ref) reply.ref = resolved.ref;
    if (ack) ack(reply);
    else socket.emit('exception', reply);
  }

  private resolve(exception: unknown): Resolved {
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
    if (exception instanceof WsException) {
      const error = exception.getError();
      return {
        httpStatus: 400,
        message: typeof error === 'string' ? error : 'bad request',
        code: 'bad_request',
      };
    }
    const ref = randomUUID().slice(0, 8);
    const err = exception instanceof Error ? exception : new Error(String(exception));
    this.logger.error(`internal error ref=${ref}: ${err.message}`, err.stack);
    return { httpStatus: 500, message: 'internal error', code: 'internal', ref };
  }
}

function httpMessage(exception: HttpException): string {
  const body = exception.getResponse();
  if (typeof body === 'string') return body;
  const message = (body as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}
