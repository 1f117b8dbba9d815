import { IsString, MaxLength } from 'class-validator';
import { IsNormalizedEmail } from '@app/common';

export class LoginDto {
  @IsNormalizedEmail()
  email: string;

  @IsString({ message: 'password must be a string' })
  @MaxLength(1024, { message: 'password must be at most 1024 characters' })
  password: string;
}
