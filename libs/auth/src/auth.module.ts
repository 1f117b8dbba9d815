import { DynamicModule, Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { durationMs } from '@app/common';
import { LimitsModule } from '@app/limits';
import { AuthController } from './auth.controller';
import { AUTH_SETTINGS, AuthService } from './auth.service';
import { RefreshTokensRepository } from './refresh-tokens.repository';
import { SessionExpiry } from './session-expiry';
import { SocketSessions } from './socket-auth';
import { UsersRepository } from './users.repository';

@Module({})
export class AuthModule {
  /** `ttl` and `refreshTtl` are duration settings (JWT_TTL, REFRESH_TOKEN_TTL). */
  static forRoot(options: { secret: string; ttl: string; refreshTtl: string }): DynamicModule {
    const accessTtlSeconds = Math.max(1, Math.ceil(durationMs(options.ttl) / 1000));
    return {
      module: AuthModule,
      global: true,
      imports: [
        LimitsModule,
        JwtModule.register({
          secret: options.secret,
          signOptions: { expiresIn: accessTtlSeconds, algorithm: 'HS256' },
        }),
      ],
      controllers: [AuthController],
      providers: [
        {
          provide: AUTH_SETTINGS,
          useValue: { accessTtlSeconds, refreshTtlMs: durationMs(options.refreshTtl) },
        },
        AuthService,
        UsersRepository,
        RefreshTokensRepository,
        SessionExpiry,
        SocketSessions,
      ],
      exports: [AuthService, UsersRepository, SocketSessions],
    };
  }
}
