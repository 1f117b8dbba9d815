import { ConflictError, InvalidInputError } from '@app/common';

// A 1:1 send to someone who is not a contact, or a group send by a non-member, is refused with
// the contacts and groups libraries' own errors (NotAContactError, NotGroupMemberError).

/** The recipient's queue is full, or holds as many of this sender's messages as one sender may. */
export class RecipientQueueFullError extends ConflictError {
  constructor() {
    super('recipient queue full');
  }
}

export class MessageTooLargeError extends InvalidInputError {
  constructor(maxMessageBytes: number) {
    super(`message too large (max ${maxMessageBytes} bytes)`);
  }
}
