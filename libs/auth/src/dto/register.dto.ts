import { IsString, Length } from 'class-validator';
import { IsBase64Text, IsDisplayName, IsNormalizedEmail } from '@app/common';

export class RegisterDto {
  @IsDisplayName()
  name: string;

  @IsNormalizedEmail()
  email: string;

  @IsString({ message: 'password must be a string' })
  @Length(10, 1024, { message: 'password must be 10 to 1024 characters' })
  password: string;

  @IsBase64Text(4096)
  publicKey: string;
}
