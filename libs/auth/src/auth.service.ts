import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { UnauthorizedError } from '@app/common';
import {
  EmailAlreadyRegisteredError,
  InvalidPublicKeyError,
  WrongCredentialsError,
} from './auth.errors';
import { RegisterDto } from './dto/register.dto';
import { LoginDto } from './dto/login.dto';
import { DUMMY_HASH, hashPassword, verifyPassword } from './password';
import { publicKeyProblem } from './public-key';
import { EmailTakenError, UserRecord, UsersRepository } from './users.repository';

/** Who is on the other end of a request or socket, as proven by the access token. */
export interface AuthUser {
  id: string;
  email: string;
}

interface TokenClaims {
  sub: string;
  email: string;
}

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersRepository,
    private readonly jwt: JwtService,
  ) {}

  async register(
    dto: RegisterDto,
  ): Promise<{ accessToken: string; user: { name: string; email: string } }> {
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
    return {
      accessToken: await this.issueToken(user),
      user: { name: user.name, email: user.email },
    };
  }

  async login(dto: LoginDto): Promise<{ accessToken: string }> {
    const account = await this.users.findCredentials(dto.email);
    const valid = await verifyPassword(dto.password, account?.passwordHash ?? DUMMY_HASH);
    if (!account || !valid) throw new WrongCredentialsError();
    return { accessToken: await this.issueToken(account) };
  }

  /** The user a token proves, or UnauthorizedError for a missing, forged, expired or stale one. */
  async authenticate(token: unknown): Promise<AuthUser> {
    if (typeof token !== 'string' || token.length === 0 || token.length > 4096) {
      throw new UnauthorizedError();
    }
    let claims: TokenClaims;
    try {
      claims = await this.jwt.verifyAsync<TokenClaims>(token, { algorithms: ['HS256'] });
    } catch {
      throw new UnauthorizedError();
    }
    const user = await this.users.findById(claims.sub);
    if (!user) throw new UnauthorizedError(); // e.g. the database was reset
    return { id: user.id, email: user.email };
  }

  private issueToken(user: { id: string; email: string }): Promise<string> {
    return this.jwt.signAsync({ sub: user.id, email: user.email } satisfies TokenClaims);
  }
}
