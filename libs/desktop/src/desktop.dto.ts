import { Allow, IsOptional, IsString, MaxLength } from 'class-validator';
import { IsNewPassword } from '@app/auth';
import { IsBase64Text, IsDisplayName, IsNormalizedEmail } from '@app/common';

/** A public key as the desktop sends it: base64 of a DER SubjectPublicKeyInfo. */
const IsPublicKey = () => IsBase64Text(4096);

/** POST <prefix>/signup. */
export class DesktopSignUpDto {
  @IsDisplayName()
  name: string;

  @IsNormalizedEmail()
  email: string;

  @IsNewPassword()
  password: string;

  @IsPublicKey()
  public_key: string;
}

/**
 * POST <prefix>/login. The desktop sends its whole local user record along (id, name, publicKey,
 * personId, privateKey): accepted so that the login works, and never read, kept or logged.
 */
export class DesktopLogInDto {
  @IsNormalizedEmail()
  email: string;

  @IsString({ message: 'password must be a string' })
  @MaxLength(1024, { message: 'password must be at most 1024 characters' })
  password: string;

  @Allow() id?: unknown;
  @Allow() name?: unknown;
  @Allow() publicKey?: unknown;
  @Allow() personId?: unknown;
  @Allow() privateKey?: unknown;
}

/** PUT <prefix>/user/update: what is given changes. */
export class DesktopUserUpdateDto {
  @IsOptional()
  @IsDisplayName()
  name?: string;

  @IsOptional()
  @IsPublicKey()
  public_key?: string;
}

/** GET <prefix>/user/getUserDetails?email=. */
export class DesktopUserQueryDto {
  @IsNormalizedEmail()
  email: string;
}

/** POST <prefix>/groupChat: the group key stays with the desktop. */
export class DesktopGroupDto {
  @IsDisplayName()
  name: string;

  @IsOptional()
  @IsString({ message: 'description must be a string' })
  @MaxLength(512, { message: 'description must be at most 512 characters' })
  description?: string;
}
