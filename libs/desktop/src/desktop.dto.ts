import { Allow, IsOptional } from 'class-validator';
import { IsPublicKeyText, LoginDto, NewAccountDto } from '@app/auth';
import { IsDisplayName, IsNormalizedEmail } from '@app/common';

/** POST <prefix>/signup. */
export class DesktopSignUpDto extends NewAccountDto {
  @IsPublicKeyText()
  public_key: string;
}

/**
 * POST <prefix>/login. The desktop sends its whole local user record along (id, name, publicKey,
 * personId, privateKey): accepted so that the login works, and never read, kept or logged.
 */
export class DesktopLogInDto extends LoginDto {
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
  @IsPublicKeyText()
  public_key?: string;
}

/** GET <prefix>/user/getUserDetails?email=. */
export class DesktopUserQueryDto {
  @IsNormalizedEmail()
  email: string;
}
