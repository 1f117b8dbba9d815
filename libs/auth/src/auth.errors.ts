import { ConflictError, ForbiddenError, InvalidInputError, UnauthorizedError } from '@app/common';

/** Every refusal of the auth lib; the response's `code` is the class name in snake_case. */

export class EmailAlreadyRegisteredError extends ConflictError {
  constructor() {
    super('email is already registered');
  }
}

/** The same answer for an unknown email and a wrong password: nothing tells them apart. */
export class WrongCredentialsError extends UnauthorizedError {
  constructor() {
    super('wrong email or password');
  }
}

/** `publicKey` is not base64 DER of an RSA key of at least 2048 bits; the message says why. */
export class InvalidPublicKeyError extends InvalidInputError {}

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
