import { Inject, Injectable } from '@nestjs/common';
import type { Socket } from 'socket.io';
import { APP_CONFIG, AppConfig, SocketDialect, UnauthorizedError } from '@app/common';
import { clientIp, ipLimitKey, LocalBucket, RateLimitedError, RateLimiter } from '@app/limits';
import { AuthService, AuthUser } from './auth.service';
import { SessionExpiry } from './session-expiry';

/** The room that reaches every socket of a user, on any instance of the fleet. */
export const userRoom = (userId: string): string => `user:${userId}`;

/** The room of every socket opened with tokens of one signed-in session (refresh token family). */
export const sessionRoom = (sessionId: string): string => `session:${sessionId}`;

export interface SocketData extends LocalBucket {
  user: AuthUser;
  /** How this client speaks (see SocketDialect), chosen in the handshake. */
  dialect: SocketDialect;
  sessionId?: string;
  /** When the socket's access token expires (seconds since the epoch); renewToken moves it. */
  expiresAt: number;
}
export type AuthedSocket = Socket & { data: SocketData };

/** The dialects sockets may speak, in the order the handshake tries them (AuthModule.forRoot). */
export const SOCKET_DIALECTS = Symbol('SOCKET_DIALECTS');

/** A refused handshake: the client's `connect_error` has this message, and `data`. */
class HandshakeRefusal extends Error {
  constructor(
    message: 'unauthorized' | 'rate limited',
    readonly data?: { code: string; retryAfterMs: number },
  ) {
    super(message);
  }
}

/**
 * A socket's session: admitted in the handshake (connection rate limits, then the access token),
 * ended when its token expires unless renewed, and reachable by user and by signed-in session.
 */
@Injectable()
export class SocketSessions {
  constructor(
    private readonly auth: AuthService,
    private readonly expiry: SessionExpiry,
    private readonly limits: RateLimiter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(SOCKET_DIALECTS) private readonly dialects: readonly SocketDialect[],
  ) {}

  /**
   * socket.io handshake middleware: the client gets `connect_error` "rate limited" (with
   * `data.retryAfterMs`) when its address or user opens connections too fast, "unauthorized"
   * without a valid token (`auth.token`, or where another enabled dialect reads it). Runs before
   * any handler.
   */
  handshake() {
    return (socket: Socket, next: (err?: Error) => void): void => {
      this.admit(socket).then(
        () => next(),
        (err: Error) =>
          next(err instanceof HandshakeRefusal ? err : new HandshakeRefusal('unauthorized')),
      );
    };
  }

  /** The socket is connected: reachable by its session, ended when its token expires. */
  opened(socket: AuthedSocket): void {
    if (socket.data.sessionId) void socket.join(sessionRoom(socket.data.sessionId));
    this.expiry.track(socket);
  }

  closed(socket: AuthedSocket): void {
    this.expiry.untrack(socket);
  }

  /** renewToken: a fresh access token of the same user moves the socket to its expiry. */
  async renew(socket: AuthedSocket, token: string): Promise<{ expiresIn: number }> {
    const session = await this.auth.authenticate(token);
    const data = socket.data;
    if (session.user.id !== data.user.id) throw new UnauthorizedError();
    if (session.sessionId !== data.sessionId) {
      if (data.sessionId) void socket.leave(sessionRoom(data.sessionId));
      if (session.sessionId) void socket.join(sessionRoom(session.sessionId));
      data.sessionId = session.sessionId;
    }
    this.expiry.extend(socket, session.expiresAt);
    return { expiresIn: Math.max(0, session.expiresAt - Math.floor(Date.now() / 1000)) };
  }

  private async admit(socket: Socket): Promise<void> {
    const { handshake } = socket;
    const { address, headers } = handshake;
    const ip = clientIp(address, headers['x-forwarded-for'], this.config.TRUST_PROXY);
    await refuseWhenLimited(this.limits.consume('connectionPerIp', ipLimitKey(ip)));
    // The first dialect whose token is there; without any, the first one (it refuses the socket).
    const dialect =
      this.dialects.find((d) => d.tokenOf(handshake) !== undefined) ?? this.dialects[0];
    const session = await this.auth.authenticate(dialect.tokenOf(handshake));
    await refuseWhenLimited(this.limits.consume('connectionPerUser', session.user.id));
    const data = socket.data as SocketData;
    data.user = session.user;
    data.dialect = dialect;
    data.sessionId = session.sessionId;
    data.expiresAt = session.expiresAt;
  }
}

async function refuseWhenLimited(check: Promise<void>): Promise<void> {
  try {
    await check;
  } catch (err) {
    if (!(err instanceof RateLimitedError)) throw err;
    throw new HandshakeRefusal('rate limited', {
      code: 'rate_limited',
      retryAfterMs: err.retryAfterMs,
    });
  }
}
