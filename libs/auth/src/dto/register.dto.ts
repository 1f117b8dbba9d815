import { applyDecorators } from '@nestjs/common';
import { IsString, Length } from 'class-validator';
import { IsBase64Text, IsDisplayName, IsNormalizedEmail } from '@app/common';

/** A password being chosen (register, password change): 10 to 1024 characters. */
export const IsNewPassword = () =>
  applyDecorators(
    IsString({ message: '$property must be a string' }),
    Length(10, 1024, { message: '$property must be 10 to 1024 characters' }),
  );

/** A public key as clients send it: base64 of a DER SubjectPublicKeyInfo (see publicKeyProblem). */
export const IsPublicKeyText = () => IsBase64Text(4096);

/** What every way of registering asks for, besides the public key. */
export class NewAccountDto {
  @IsDisplayName()
  name: string;

  @IsNormalizedEmail()
  email: string;

  @IsNewPassword()
  password: string;
}

export class RegisterDto extends NewAccountDto {
  @IsPublicKeyText()
  publicKey: string;
}
