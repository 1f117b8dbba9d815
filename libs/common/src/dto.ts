import { applyDecorators } from '@nestjs/common';
import { domainToASCII } from 'node:url';
import { Transform } from 'class-transformer';
import {
  IsEmail,
  IsString,
  Length,
  Matches,
  MaxLength,
  registerDecorator,
  ValidationOptions,
} from 'class-validator';

/**
 * The one spelling of an address that uniqueness and lookups use: trimmed, NFKC (so a full-width
 * `ｘ` is an `x`), lower-cased, and an internationalised domain in punycode (`bücher.example` →
 * `xn--bcher-kva.example`), as DNS knows it.
 */
export function normalizeEmail(email: string): string {
  const folded = email.trim().normalize('NFKC').toLowerCase();
  const at = folded.lastIndexOf('@');
  if (at < 0) return folded;
  const domain = folded.slice(at + 1);
  const ascii = /^[\x21-\x7e]*$/.test(domain) ? domain : domainToASCII(domain);
  return ascii ? `${folded.slice(0, at + 1)}${ascii}` : folded;
}

/** A valid e-mail address, normalised (see normalizeEmail) before it reaches a service. */
export function IsNormalizedEmail(): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }) => (typeof value === 'string' ? normalizeEmail(value) : value)),
    IsString({ message: '$property must be a string' }),
    MaxLength(254, { message: '$property must be at most 254 characters' }),
    IsEmail({}, { message: '$property must be a valid email address' }),
  );
}

/** A display name (user or group): 1–64 characters after trimming, no control or bidi override. */
export function IsDisplayName(): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }) => (typeof value === 'string' ? value.trim() : value)),
    IsString({ message: '$property must be a string' }),
    Length(1, 64, { message: '$property must be 1 to 64 characters' }),
    // Cc: C0 controls, DEL, C1 controls. Bidi embeddings, overrides and isolates can make a name
    // display as someone else's.
    Matches(/^[^\p{Cc}\u202a-\u202e\u2066-\u2069]*$/u, {
      message: '$property must not contain control or bidirectional override characters',
    }),
  );
}

/** Standard base64 (what the clients send for keys and ciphertext), 1 to `maxBytes` long. */
export function IsBase64Text(maxBytes: number): PropertyDecorator {
  return applyDecorators(
    IsString({ message: '$property must be a string' }),
    Length(1, maxBytes, { message: `$property must be 1 to ${maxBytes} characters` }),
    Matches(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, {
      message: '$property must be base64',
    }),
  );
}

/** A string of at least one and at most `maxBytes` UTF-8 bytes. */
export function IsBoundedText(maxBytes: number, options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isBoundedText',
      target: target.constructor,
      propertyName: propertyName as string,
      options: {
        message: `$property must be a non-empty string of at most ${maxBytes} bytes`,
        ...options,
      },
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && value.length > 0 && Buffer.byteLength(value) <= maxBytes,
      },
    });
}

/** The seed's "12 byte unique group id": 24 lower-case hex characters. */
export function IsGroupId(): PropertyDecorator {
  return Matches(/^[0-9a-f]{24}$/, { message: '$property must be 24 lower-case hex characters' });
}

/** A user's public data as the protocol shows it (contactData, contactRequestReceived, …). */
export interface PublicProfile {
  name: string;
  email: string;
  publicKey: string;
}
