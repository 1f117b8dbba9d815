import { Inject, Injectable } from '@nestjs/common';
import { AuthService, InvalidPublicKeyError, publicKeyProblem, UsersRepository } from '@app/auth';
import { APP_CONFIG, AppConfig, durationMs, UnauthorizedError } from '@app/common';
import { UserNotFoundError } from '@app/contacts';
import { GroupDetailsDto, GroupsService } from '@app/groups';
import { ipLimitKey, RateLimiter } from '@app/limits';
import { DesktopLogInDto, DesktopSignUpDto, DesktopUserUpdateDto } from './desktop.dto';

/**
 * The access token of a desktop request: its `Authorization` header holds the bare token (the
 * desktop writes no scheme); `Bearer <token>` is read too.
 */
const bareToken = (authorization: string | undefined): string | undefined =>
  /^(?:Bearer\s+)?(\S+)$/i.exec(authorization?.trim() ?? '')?.[1];

/** Bowl Desktop's HTTP calls, mapped onto Bowl's own services and rules. */
@Injectable()
export class DesktopService {
  private readonly tokenTtlSeconds: number;

  constructor(
    private readonly auth: AuthService,
    private readonly users: UsersRepository,
    private readonly groups: GroupsService,
    private readonly limits: RateLimiter,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.tokenTtlSeconds = Math.ceil(durationMs(config.DESKTOP_COMPAT_TOKEN_TTL) / 1000);
  }

  /** Registers the account at once (the original server e-mailed a link first). */
  async signUp(dto: DesktopSignUpDto, ip: string): Promise<void> {
    const { name, email, password, public_key: publicKey } = dto;
    await this.auth.register({ name, email, password, publicKey }, ip);
  }

  /** An access token of DESKTOP_COMPAT_TOKEN_TTL (the desktop cannot refresh it), and who it is. */
  async logIn(
    dto: DesktopLogInDto,
    ip: string,
  ): Promise<{ token: string; user: { publicKey: string; name: string } }> {
    const { email, password } = dto;
    const { accessToken } = await this.auth.login({ email, password }, ip, this.tokenTtlSeconds);
    const user = await this.users.findByEmail(email);
    if (!user) throw new UnauthorizedError(); // deleted in between
    return { token: accessToken, user: { publicKey: user.publicKey, name: user.name } };
  }

  /** A new display name and/or public key (a desktop on a new device makes a new key pair). */
  async updateUser(authorization: string | undefined, dto: DesktopUserUpdateDto): Promise<void> {
    const { user } = await this.auth.authenticate(bareToken(authorization));
    const problem = dto.public_key === undefined ? null : publicKeyProblem(dto.public_key);
    if (problem) throw new InvalidPublicKeyError(problem);
    await this.users.updateProfile(user.id, { name: dto.name, publicKey: dto.public_key });
  }

  /**
   * Anyone's name and public key by email, without a token (the desktop sends none): counted per
   * client address under RATE_LIMIT_DESKTOP_LOOKUPS_PER_IP.
   */
  async userDetails(email: string, ip: string): Promise<{ public_key: string; name: string }> {
    await this.limits.consume('desktopLookupPerIp', ipLimitKey(ip));
    const user = await this.users.findByEmail(email);
    if (!user) throw new UserNotFoundError();
    return { public_key: user.publicKey, name: user.name };
  }

  /** A group whose key only its creator's desktop holds; the creator is its admin. */
  async createGroup(
    authorization: string | undefined,
    dto: GroupDetailsDto,
  ): Promise<{ groupId: string; name: string; description: string }> {
    const { user } = await this.auth.authenticate(bareToken(authorization));
    const description = dto.description ?? '';
    const { groupId } = await this.groups.create(user, { name: dto.name, description });
    return { groupId, name: dto.name, description };
  }
}
