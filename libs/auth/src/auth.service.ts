import { Inject, Injectable, Logger } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { Notifier, UnauthorizedError } from '@app/common';
import { ipLimitKey, RateLimiter } from '@app/limits';
import {
  EmailAlreadyRegisteredError,
  InvalidPublicKeyError,
  InvalidRefreshTokenError,
  WrongCredentialsError,
  WrongCurrentPasswordError,
} from './auth.errors';
import { LoginDto } from './dto/login.dto';
import { RegisterDto } from './dto/register.dto';
import { ChangePasswordDto } from './dto/tokens.dto';
import { DUMMY_HASH, hashPassword, verifyPassword } from './password';
import { publicKeyProblem } from './public-key';
import { RefreshTokensRepository } from './refresh-tokens.repository';
import {
  accessTokenIssuedAt,
  issuedBeforePasswordChange,
  newRefreshToken,
  parseRefreshToken,
} from './tokens';
import { EmailTakenError, UserRecord, UsersRepository } from './users.repository';

/** Who is on the other end of a request or socket, as proven by the access token. */
export interface AuthUser {
  id: string;
  email: string;
}

/** What a verified access token proves. */
export interface Session {
  user: AuthUser;
  /** The signed-in session (refresh token family) the token was issued for. */
  sessionId?: string;
  /** The token's expiry, in seconds since the epoch (`exp`). */
  expiresAt: number;
}

/** What signing in, registering and refreshing hand out. */
export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  /** Lifetime of the access token, in seconds. */
  expiresIn: number;
}

export interface AuthSettings {
  accessTtlSeconds: number;
  refreshTtlMs: number;
}
export const AUTH_SETTINGS = Symbol('AUTH_SETTINGS');

interface TokenClaims {
  sub: string;
  email: string;
  sid?: string;
  iat: number;
  exp: number;
}

type TokenSubject = { id: string; email: string; passwordChangedAt: Date | null };

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersRepository,
    private readonly sessions: RefreshTokensRepository,
    private readonly jwt: JwtService,
    private readonly limits: RateLimiter,
    private readonly notifier: Notifier,
    @Inject(AUTH_SETTINGS) private readonly settings: AuthSettings,
  ) {}

  /** Who did what, by user id: never an email, a password or a token. */
  private readonly logger = new Logger('Auth');

  async register(
    dto: RegisterDto,
    ip: string,
  ): Promise<TokenPair & { user: { name: string; email: string } }> {
    await this.limits.consumeAll([
      ['registerPerIp', ipLimitKey(ip)],
      ['registerPerAccount', dto.email],
    ]);
    const problem = publicKeyProblem(dto.publicKey);
    if (problem) throw new InvalidPublicKeyError(problem);
    let user: UserRecord;
    try {
      user = await this.users.create({
        email: dto.email,
        name: dto.name,
        passwordHash: await hashPassword(dto.password),
        publicKey: dto.publicKey,
      });
    } catch (err) {
      if (err instanceof EmailTakenError) throw new EmailAlreadyRegisteredError();
      throw err;
    }
    const tokens = await this.startSession({ ...user, passwordChangedAt: null });
    this.logger.debug(`user ${user.id} registered`);
    return { ...tokens, user: { name: user.name, email: user.email } };
  }

  /**
   * Each attempt is counted as a failure for the address and the client before the password is
   * checked (so parallel guesses are counted too), and given back when it was right. Unknown
   * addresses are treated exactly like known ones. The access token lives JWT_TTL unless
   * `accessTtlSeconds` says otherwise (a client that cannot refresh tokens).
   */
  async login(
    dto: LoginDto,
    ip: string,
    accessTtlSeconds = this.settings.accessTtlSeconds,
  ): Promise<TokenPair> {
    const giveBack = await this.limits.consumeAll([
      ['loginFailurePerAccount', dto.email],
      ['loginFailurePerIp', ipLimitKey(ip)],
    ]);
    const account = await this.users.findCredentials(dto.email);
    const valid = await verifyPassword(dto.password, account?.passwordHash ?? DUMMY_HASH);
    if (!account || !valid) {
      this.logger.debug(account ? `login of user ${account.id} refused` : 'login refused');
      throw new WrongCredentialsError();
    }
    await giveBack();
    this.logger.debug(`user ${account.id} logged in`);
    return this.startSession(account, accessTtlSeconds);
  }

  /**
   * A new access token and a new refresh token for the session; the presented one stops working.
   * Presenting one that was already rotated (a copy in other hands) ends the whole session.
   */
  async refresh(refreshToken: string): Promise<TokenPair> {
    const presented = parseRefreshToken(refreshToken);
    if (!presented) throw new InvalidRefreshTokenError();
    const { sessionId } = presented;
    const next = newRefreshToken(sessionId);
    const result = await this.sessions.rotate(
      sessionId,
      presented.secretHash,
      next.secretHash,
      this.refreshExpiry(),
    );
    if (result.outcome === 'reused') {
      this.logger.warn('a refresh token was presented again after its rotation: session ended');
      await this.sessions.delete(sessionId);
      this.notifier.endSessions({ sessionIds: [sessionId] }, 'logged out');
    }
    if (result.outcome !== 'rotated') throw new InvalidRefreshTokenError();
    const subject = await this.users.findTokenSubject(result.userId);
    if (!subject) throw new InvalidRefreshTokenError();
    return {
      accessToken: await this.issueAccessToken(subject, sessionId),
      refreshToken: next.token,
      expiresIn: this.settings.accessTtlSeconds,
    };
  }

  /** Ends the session of this refresh token and disconnects its sockets; idempotent. */
  async logout(refreshToken: string): Promise<void> {
    const presented = parseRefreshToken(refreshToken);
    if (!presented) return;
    if (await this.sessions.delete(presented.sessionId, presented.secretHash)) {
      this.notifier.endSessions({ sessionIds: [presented.sessionId] }, 'logged out');
    }
  }

  /**
   * With the current password (counted like a login failure when wrong): sets the new one, ends
   * every session of the user (refresh tokens, sockets on every instance), and makes every access
   * token issued before now unusable.
   */
  async changePassword(accessToken: unknown, dto: ChangePasswordDto, ip: string): Promise<void> {
    const { user } = await this.authenticate(accessToken);
    const giveBack = await this.limits.consumeAll([
      ['loginFailurePerAccount', user.email],
      ['loginFailurePerIp', ipLimitKey(ip)],
    ]);
    const account = await this.users.findCredentialsById(user.id);
    if (!account) throw new UnauthorizedError();
    if (!(await verifyPassword(dto.currentPassword, account.passwordHash))) {
      throw new WrongCurrentPasswordError();
    }
    await giveBack();
    await this.users.changePassword(user.id, await hashPassword(dto.newPassword));
    this.notifier.endSessions({ userIds: [user.id] }, 'password changed');
    this.logger.log(`user ${user.id} changed the password: every session ended`);
  }

  /**
   * What a token proves, or UnauthorizedError for a missing, forged, expired or stale one (its
   * user is gone, or changed the password after it was issued).
   */
  async authenticate(token: unknown): Promise<Session> {
    if (typeof token !== 'string' || token.length === 0 || token.length > 4096) {
      throw new UnauthorizedError();
    }
    let claims: TokenClaims;
    try {
      claims = await this.jwt.verifyAsync<TokenClaims>(token, { algorithms: ['HS256'] });
    } catch {
      throw new UnauthorizedError();
    }
    const subject = await this.users.findTokenSubject(claims.sub);
    if (!subject || issuedBeforePasswordChange(claims.iat, subject.passwordChangedAt)) {
      throw new UnauthorizedError();
    }
    return {
      user: { id: subject.id, email: subject.email },
      sessionId: claims.sid,
      expiresAt: claims.exp,
    };
  }

  private async startSession(
    subject: TokenSubject,
    accessTtlSeconds = this.settings.accessTtlSeconds,
  ): Promise<TokenPair> {
    const refresh = newRefreshToken();
    await this.sessions.create({
      id: refresh.sessionId,
      userId: subject.id,
      tokenHash: refresh.secretHash,
      expiresAt: this.refreshExpiry(),
    });
    return {
      accessToken: await this.issueAccessToken(subject, refresh.sessionId, accessTtlSeconds),
      refreshToken: refresh.token,
      expiresIn: accessTtlSeconds,
    };
  }

  private issueAccessToken(
    subject: TokenSubject,
    sessionId: string,
    accessTtlSeconds = this.settings.accessTtlSeconds,
  ): Promise<string> {
    return this.jwt.signAsync(
      {
        sub: subject.id,
        email: subject.email,
        sid: sessionId,
        iat: accessTokenIssuedAt(Date.now(), subject.passwordChangedAt),
      } satisfies Omit<TokenClaims, 'exp'>,
      { expiresIn: accessTtlSeconds },
    );
  }

  private refreshExpiry(): Date {
    return new Date(Date.now() + this.settings.refreshTtlMs);
  }
}
