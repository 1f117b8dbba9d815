import { DomainError, InvalidInputError } from './errors';

/** An event no gateway handles (or whose name is not even a string). */
export class UnknownEventError extends InvalidInputError {
  constructor(event: unknown) {
    super(
      typeof event === 'string'
        ? `unknown event ${JSON.stringify(event.slice(0, 64))}`
        : 'event name must be a string',
    );
  }
}

/**
 * An event that reaches an instance while it drains its sockets for a shutdown: nothing was done;
 * the client sends it again once reconnected (to another instance).
 */
export class ServerShuttingDownError extends DomainError {
  constructor() {
    super('unavailable', 'server shutting down');
  }
}
