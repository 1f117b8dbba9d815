import { DynamicModule, Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { BOWL_DIALECT, durationMs, SocketDialect } from '@app/common';
import { LimitsModule } from '@app/limits';
import { AuthController } from './auth.controller';
import { AUTH_SETTINGS, AuthService } from './auth.service';
import { RefreshTokensRepository } from './refresh-tokens.repository';
import { SessionExpiry } from './session-expiry';
import { SOCKET_DIALECTS, SocketSessions } from './socket-auth';
import { UsersRepository } from './users.repository';

@Module({})
export class AuthModule {
  /**
   * `ttl` and `refreshTtl` are duration settings (JWT_TTL, REFRESH_TOKEN_TTL); `socketDialects`
   * the ways sockets may speak, tried in order in the handshake (default: Bowl's own only).
   */
  static forRoot(options: {
    secret: string;
    ttl: string;
    refreshTtl: string;
    socketDialects?: readonly SocketDialect[];
  }): DynamicModule {
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
        { provide: SOCKET_DIALECTS, useValue: options.socketDialects ?? [BOWL_DIALECT] },
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
