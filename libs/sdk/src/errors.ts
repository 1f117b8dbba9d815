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
    const { retryAfterMs, ref } = ack as { retryAfterMs?: unknown; ref?: unknown };
    if (typeof retryAfterMs === 'number') this.retryAfterMs = retryAfterMs;
    if (typeof ref === 'string') this.ref = ref;
  }
}

// One class per `code` the server sends (docs/asyncapi.yaml: `x-errors` of each event, and the
// codes every event can get); errors.spec.ts fails when the document and this list differ.

/** The payload breaks the event's schema; the message names the field. */
export class ValidationError extends RequestError {}
/** An unexpected failure on the server; `ref` is in its log. */
export class InternalError extends RequestError {}
/** The server does not handle an event of that name. */
export class UnknownEventError extends RequestError {}
/** Over a rate limit: nothing was done; `retryAfterMs` says when it would be allowed. */
export class RateLimitedError extends RequestError {}
/** renewToken with a token that is not a valid access token of this socket's user. */
export class UnauthorizedError extends RequestError {}

// Contacts
export class UserNotFoundError extends RequestError {}
export class CannotAddSelfError extends RequestError {}
export class AlreadyContactError extends RequestError {}
export class RequestAlreadyPendingError extends RequestError {}
export class NoPendingRequestError extends RequestError {}
export class NotAContactError extends RequestError {}
export class AccountGoneError extends RequestError {}
export class TooManyPendingRequestsError extends RequestError {}
export class TargetHasTooManyRequestsError extends RequestError {}

// Messages
export class RecipientQueueFullError extends RequestError {}
export class MessageTooLargeError extends RequestError {}

// Groups
export class NoSuchGroupError extends RequestError {}
export class NotGroupMemberError extends RequestError {}
export class NotGroupAdminError extends RequestError {}
export class InviteeNotAContactError extends RequestError {}
export class AlreadyGroupMemberError extends RequestError {}
export class AlreadyInvitedError extends RequestError {}
export class NoPendingInvitationError extends RequestError {}
export class NoSuchMemberError extends RequestError {}
export class CannotRemoveSelfError extends RequestError {}
export class AlreadyGroupAdminError extends RequestError {}
export class GroupFullError extends RequestError {}
export class TooManyGroupsError extends RequestError {}
export class TooManyInvitationsError extends RequestError {}

/** The error class of each refusal code. */
export const REQUEST_ERRORS = {
  validation: ValidationError,
  internal: InternalError,
  unknown_event: UnknownEventError,
  rate_limited: RateLimitedError,
  unauthorized: UnauthorizedError,
  user_not_found: UserNotFoundError,
  cannot_add_self: CannotAddSelfError,
  already_contact: AlreadyContactError,
  request_already_pending: RequestAlreadyPendingError,
  no_pending_request: NoPendingRequestError,
  not_a_contact: NotAContactError,
  account_gone: AccountGoneError,
  too_many_pending_requests: TooManyPendingRequestsError,
  target_has_too_many_requests: TargetHasTooManyRequestsError,
  recipient_queue_full: RecipientQueueFullError,
  message_too_large: MessageTooLargeError,
  no_such_group: NoSuchGroupError,
  not_group_member: NotGroupMemberError,
  not_group_admin: NotGroupAdminError,
  invitee_not_a_contact: InviteeNotAContactError,
  already_group_member: AlreadyGroupMemberError,
  already_invited: AlreadyInvitedError,
  no_pending_invitation: NoPendingInvitationError,
  no_such_member: NoSuchMemberError,
  cannot_remove_self: CannotRemoveSelfError,
  already_group_admin: AlreadyGroupAdminError,
  group_full: GroupFullError,
  too_many_groups: TooManyGroupsError,
  too_many_invitations: TooManyInvitationsError,
} as const satisfies Record<string, new (ack: ErrorAck) => RequestError>;

export type RequestErrorCode = keyof typeof REQUEST_ERRORS;

/** The typed error for an ERROR ack (a RequestError subclass by `code`). */
export function errorFromAck(ack: ErrorAck): RequestError {
  const ErrorClass: new (ack: ErrorAck) => RequestError = Object.hasOwn(REQUEST_ERRORS, ack.code)
    ? REQUEST_ERRORS[ack.code as RequestErrorCode]
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
