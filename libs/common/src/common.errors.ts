import { InvalidInputError } from './errors';

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
