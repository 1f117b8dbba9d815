import {
  AppConfig,
  ConflictError,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
} from '@app/common';

export class RecipientNotAContactError extends NotFoundError {
  constructor() {
    super('recipient is not a contact');
  }
}

export class SenderNotInGroupError extends ForbiddenError {
  constructor() {
    super('you are not a member of that group');
  }
}

/** The recipient's queue is full, or holds as many of this sender's messages as one sender may. */
export class RecipientQueueFullError extends ConflictError {
  constructor() {
    super('recipient queue full');
  }
}

export class MessageTooLargeError extends InvalidInputError {
  constructor(limits: Pick<AppConfig, 'MAX_MESSAGE_BYTES'>) {
    super(`message too large (max ${limits.MAX_MESSAGE_BYTES} bytes)`);
  }
}
