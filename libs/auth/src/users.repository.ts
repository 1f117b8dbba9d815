import { Injectable } from '@nestjs/common';
import { Prisma, PrismaService } from '@app/database';

export interface UserRecord {
  id: string;
  email: string;
  name: string;
  publicKey: string;
}

const PUBLIC_FIELDS = { id: true, email: true, name: true, publicKey: true } as const;

/** What logging in, issuing tokens and changing the password need. */
export interface Credentials {
  id: string;
  email: string;
  passwordHash: string;
  passwordChangedAt: Date | null;
}

const CREDENTIALS = {
  id: true,
  email: true,
  passwordHash: true,
  passwordChangedAt: true,
} as const;

export class EmailTakenError extends Error {}

@Injectable()
export class UsersRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(data: {
    email: string;
    name: string;
    passwordHash: string;
    publicKey: string;
  }): Promise<UserRecord> {
    try {
      return await this.prisma.user.create({
        data: { ...data, mailbox: { create: {} } },
        select: PUBLIC_FIELDS,
      });
    } catch (err) {
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
        throw new EmailTakenError();
      }
      throw err;
    }
  }

  findCredentials(email: string): Promise<Credentials | null> {
    return this.prisma.user.findUnique({ where: { email }, select: CREDENTIALS });
  }

  findCredentialsById(id: string): Promise<Credentials | null> {
    return this.prisma.user.findUnique({ where: { id }, select: CREDENTIALS });
  }

  /**
   * Who a token names, with what decides whether the token is still good. On every handshake: a
   * named statement on the pg pool, not a Prisma query (see PrismaService.pool).
   */
  async findTokenSubject(
    id: string,
  ): Promise<{ id: string; email: string; passwordChangedAt: Date | null } | null> {
    const { rows } = await this.prisma.pool.query<{
      id: string;
      email: string;
      passwordChangedAt: Date | null;
    }>({
      name: 'bowl_token_subject',
      text: 'SELECT id::text, email, password_changed_at AS "passwordChangedAt" FROM users WHERE id = $1',
      values: [id],
    });
    return rows[0] ?? null;
  }

  /** Sets a new password, dated now, and ends every signed-in session (refresh tokens) of the user. */
  async changePassword(id: string, passwordHash: string): Promise<void> {
    await this.prisma.$transaction([
      this.prisma.user.update({
        where: { id },
        data: { passwordHash, passwordChangedAt: new Date() },
      }),
      this.prisma.refreshToken.deleteMany({ where: { userId: id } }),
    ]);
  }

  /** Sets the user's display name and/or public key (what is not given stays). */
  async updateProfile(id: string, changes: { name?: string; publicKey?: string }): Promise<void> {
    await this.prisma.user.update({ where: { id }, data: changes });
  }

  /** On every handshake: a named statement on the pg pool, not a Prisma query (see PrismaService.pool). */
  async findById(id: string): Promise<UserRecord | null> {
    const { rows } = await this.prisma.pool.query<UserRecord>({
      name: 'bowl_user_by_id',
      text: 'SELECT id::text, email, name, public_key AS "publicKey" FROM users WHERE id = $1',
      values: [id],
    });
    return rows[0] ?? null;
  }

  findByEmail(email: string): Promise<UserRecord | null> {
    return this.prisma.user.findUnique({ where: { email }, select: PUBLIC_FIELDS });
  }

  findManyById(ids: string[]): Promise<UserRecord[]> {
    return this.prisma.user.findMany({ where: { id: { in: ids } }, select: PUBLIC_FIELDS });
  }
}
