import { ConflictError, InvalidInputError, NotFoundError } from '@app/common';

/** Every refusal of the contacts lib; the ack's `code` is the class name in snake_case. */

export class UserNotFoundError extends NotFoundError {
  constructor() {
    super('no user with that email');
  }
}

export class CannotAddSelfError extends InvalidInputError {
  constructor() {
    super('you cannot add yourself as a contact');
  }
}

export class AlreadyContactError extends ConflictError {
  constructor() {
    super('already a contact');
  }
}

export class RequestAlreadyPendingError extends ConflictError {
  constructor() {
    super('contact request already pending');
  }
}

export class NoPendingRequestError extends NotFoundError {
  constructor() {
    super('no pending contact request from that email');
  }
}

/** Removing, or writing to, someone who is not an accepted contact. */
export class NotAContactError extends NotFoundError {
  constructor(message: 'not a contact' | 'recipient is not a contact' = 'not a contact') {
    super(message);
  }
}

export class AccountGoneError extends NotFoundError {
  constructor() {
    super('your account no longer exists');
  }
}

/** The caller has MAX_PENDING_CONTACT_REQUESTS requests waiting for an answer. */
export class TooManyPendingRequestsError extends ConflictError {
  constructor(max: number) {
    super(`you have too many pending contact requests (max ${max})`);
  }
}

/** The target has MAX_PENDING_CONTACT_REQUESTS requests waiting for their answer. */
export class TargetHasTooManyRequestsError extends ConflictError {
  constructor(max: number) {
    super(`that user has too many pending contact requests (max ${max})`);
  }
}
