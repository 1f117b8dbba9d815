import { DynamicModule, Module } from '@nestjs/common';
import { JwtModule, JwtSignOptions } from '@nestjs/jwt';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { UsersRepository } from './users.repository';

@Module({})
export class AuthModule {
  static forRoot(options: { secret: string; ttl: string }): DynamicModule {
    const expiresIn = /^\d+$/.test(options.ttl)
      ? Number(options.ttl)
      : (options.ttl as JwtSignOptions['expiresIn']);
    return {
      module: AuthModule,
      global: true,
      imports: [
        JwtModule.register({
          secret: options.secret,
          signOptions: { expiresIn, algorithm: 'HS256' },
        }),
      ],
      controllers: [AuthController],
      providers: [AuthService, UsersRepository],
      exports: [AuthService, UsersRepository],
    };
  }
}
