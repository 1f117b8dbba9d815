import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';

const logger = new Logger('Guard');

/** The ERROR ack of an unexpected failure: no detail for the client, a ref to find it in the log. */
export interface InternalErrorAck {
  status: 'ERROR';
  error: 'internal error';
  code: 'internal';
  ref: string;
}

export const internalErrorAck = (ref: string): InternalErrorAck => ({
  status: 'ERROR',
  error: 'internal error',
  code: 'internal',
  ref,
});

/** Logs an unexpected failure (message and stack, server side only) under a fresh ref. */
export function logInternalError(where: string, err: unknown, log: Logger = logger): string {
  const ref = randomUUID().slice(0, 8);
  const error = err instanceof Error ? err : new Error(String(err));
  log.error(`internal error ref=${ref} in ${where}: ${error.message}`, error.stack);
  return ref;
}

/** How a guarded function answers its failure; by default the ack callback, if it got one. */
export type FailureAnswer<A extends unknown[]> = (ref: string, ...args: A) => void;

function answerAck(ref: string, ...args: unknown[]): void {
  const ack = args[args.length - 1];
  if (typeof ack === 'function') ack(internalErrorAck(ref));
}

/**
 * Wraps a listener, middleware or timer callback that Bowl hands to socket.io, Redis, pg or a
 * timer, so that nothing it does can end the process: a synchronous throw or a rejected promise
 * is logged with a ref and answered by `onFailure` (by default: the ack callback, when the last
 * argument is one, gets `internal error` with that ref). A promise result is returned settled
 * (never rejected); a synchronous listener that succeeds returns nothing.
 */
export function guard<A extends unknown[]>(
  where: string,
  listener: (...args: A) => Promise<unknown>,
  onFailure?: FailureAnswer<A>,
): (...args: A) => Promise<void>;
export function guard<A extends unknown[]>(
  where: string,
  listener: (...args: A) => unknown,
  onFailure?: FailureAnswer<A>,
): (...args: A) => Promise<void> | undefined;
export function guard<A extends unknown[]>(
  where: string,
  listener: (...args: A) => unknown,
  onFailure: FailureAnswer<A> = answerAck,
): (...args: A) => Promise<void> | undefined {
  const fail = (args: A) => (err: unknown) => {
    const ref = logInternalError(where, err);
    try {
      onFailure(ref, ...args);
    } catch (again) {
      logInternalError(`${where} (answering a failure)`, again);
    }
  };
  return (...args: A) => {
    try {
      const result = listener(...args);
      if (isThenable(result)) return Promise.resolve(result).then(() => undefined, fail(args));
    } catch (err) {
      fail(args)(err);
      return Promise.resolve();
    }
    return undefined;
  };
}

/** A failure answer that only logs (for callbacks nobody waits on). */
export const logOnly = (): void => undefined;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

let caught = 0;

/** How many failures the process backstop has caught since start. */
export const backstopCount = (): number => caught;

/**
 * The last line of defence, installed once the gateway serves: an exception or rejection that
 * escaped every guard (a library's own callback, a bug) is logged with a ref and counted, and the
 * process keeps serving instead of exiting (see docs/security.md for why).
 */
export function installProcessBackstop(log: Logger = new Logger('Backstop')): void {
  const onEscape = (kind: string) => (err: unknown) => {
    caught++;
    const ref = logInternalError(kind, err, log);
    log.error(`${kind} ref=${ref} caught by the backstop (${caught} since start); still serving`);
  };
  process.on('uncaughtException', onEscape('uncaughtException'));
  process.on('unhandledRejection', onEscape('unhandledRejection'));
}
