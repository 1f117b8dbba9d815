import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from '@app/common';

/** Every refusal of the groups lib; the ack's `code` is the class name in snake_case. */

/** The group does not exist, or the caller is not in it (the two are not told apart). */
export class NoSuchGroupError extends NotFoundError {
  constructor() {
    super('no such group, or you are not a member');
  }
}

export class NotGroupMemberError extends ForbiddenError {
  constructor() {
    super('you are not a member of that group');
  }
}

export class NotGroupAdminError extends ForbiddenError {
  constructor(
    message:
      | 'only an admin can do that'
      | 'only an admin can invite to this group' = 'only an admin can do that',
  ) {
    super(message);
  }
}

export class InviteeNotAContactError extends ForbiddenError {
  constructor() {
    super('you can only invite your contacts');
  }
}

export class AlreadyGroupMemberError extends ConflictError {
  constructor() {
    super('already a member of this group');
  }
}

export class AlreadyInvitedError extends ConflictError {
  constructor() {
    super('already invited to this group');
  }
}

/** Accepting, declining or cancelling an invitation that is not (or no longer) pending. */
export class NoPendingInvitationError extends NotFoundError {
  constructor(
    message:
      | 'no pending invitation to that group'
      | 'no pending invitation for that email' = 'no pending invitation to that group',
  ) {
    super(message);
  }
}

export class NoSuchMemberError extends NotFoundError {
  constructor() {
    super('no member with that email in this group');
  }
}

export class CannotRemoveSelfError extends InvalidInputError {
  constructor() {
    super('use leaveGroup to leave a group');
  }
}

export class AlreadyGroupAdminError extends ConflictError {
  constructor() {
    super('already an admin');
  }
}

/** MAX_GROUP_MEMBERS reached: members and pending invitations together. */
export class GroupFullError extends ConflictError {
  constructor(max: number) {
    super(`the group is full (max ${max} members and pending invitations)`);
  }
}

/** MAX_GROUPS_PER_USER reached by the caller (creating or joining one more). */
export class TooManyGroupsError extends ConflictError {
  constructor(max: number) {
    super(`you are in too many groups (max ${max})`);
  }
}

/** MAX_PENDING_GROUP_INVITATIONS waiting for the invitee's answer. */
export class TooManyInvitationsError extends ConflictError {
  constructor(max: number) {
    super(`that user has too many pending group invitations (max ${max})`);
  }
}
