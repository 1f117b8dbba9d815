/**
 * A refusal the client can act on. Services throw these; AppExceptionFilter turns them into an
 * ERROR ack on a socket or the matching 4xx over HTTP. Anything else is an internal error.
 */
export type ErrorKind =
  | 'invalid'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'rate_limited'
  | 'unavailable';

export class DomainError extends Error {
  /**
   * Stable, machine-readable name of the refusal, sent beside the human-readable message:
   * the class name in snake_case without "Error" (NotAContactError → "not_a_contact").
   */
  readonly code: string;

  constructor(
    readonly kind: ErrorKind,
    message: string,
    /** Extra fields for the client (e.g. `retryAfterMs`), added to the ERROR ack or HTTP body. */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
    this.code = errorCode(new.target.name);
  }
}

export function errorCode(className: string): string {
  return className
    .replace(/(Error|Exception)$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

export class InvalidInputError extends DomainError {
  constructor(message: string) {
    super('invalid', message);
  }
}

export class UnauthorizedError extends DomainError {
  constructor(message = 'unauthorized') {
    super('unauthorized', message);
  }
}

export class ForbiddenError extends DomainError {
  constructor(message: string) {
    super('forbidden', message);
  }
}

export class NotFoundError extends DomainError {
  constructor(message: string) {
    super('not_found', message);
  }
}

export class ConflictError extends DomainError {
  constructor(message: string) {
    super('conflict', message);
  }
}
