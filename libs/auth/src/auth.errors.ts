import { ForbiddenError, UnauthorizedError } from '@app/common';

/** POST /auth/refresh with a token that is unknown, expired, revoked or already rotated. */
export class InvalidRefreshTokenError extends UnauthorizedError {
  constructor() {
    super('invalid refresh token');
  }
}

/** POST /auth/password whose currentPassword is not the account's password. */
export class WrongCurrentPasswordError extends ForbiddenError {
  constructor() {
    super('current password is wrong');
  }
}
