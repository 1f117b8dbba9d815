import { IsString, MaxLength } from 'class-validator';
import { IsNewPassword } from './register.dto';

/** POST /auth/refresh and POST /auth/logout. */
export class RefreshTokenDto {
  @IsString({ message: 'refreshToken must be a string' })
  @MaxLength(256, { message: 'refreshToken must be at most 256 characters' })
  refreshToken: string;
}

/** POST /auth/password. */
export class ChangePasswordDto {
  @IsString({ message: 'currentPassword must be a string' })
  @MaxLength(1024, { message: 'currentPassword must be at most 1024 characters' })
  currentPassword: string;

  @IsNewPassword()
  newPassword: string;
}

/** C→S renewToken. */
export class RenewTokenDto {
  @IsString({ message: 'token must be a string' })
  @MaxLength(4096, { message: 'token must be at most 4096 characters' })
  token: string;
}
