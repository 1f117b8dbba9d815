import { ConflictError, InvalidInputError, UnauthorizedError } from '@app/common';

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
