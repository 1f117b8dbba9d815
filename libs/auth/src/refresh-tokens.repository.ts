import { Injectable } from '@nestjs/common';
import { PrismaService } from '@app/database';
import type { TokenHash } from './tokens';

/** Signed-in sessions: the hash of each one's current refresh token (table refresh_tokens). */
@Injectable()
export class RefreshTokensRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** A new session; also forgets the user's sessions that expired meanwhile. */
  async create(session: {
    id: string;
    userId: string;
    tokenHash: TokenHash;
    expiresAt: Date;
  }): Promise<void> {
    await this.prisma.$transaction([
      this.prisma.refreshToken.deleteMany({
        where: { userId: session.userId, expiresAt: { lte: new Date() } },
      }),
      this.prisma.refreshToken.create({ data: session }),
    ]);
  }

  /**
   * Replaces the session's token if `oldHash` is its current one and it has not expired
   * (compare-and-set: of two refreshes with one token only one wins). `reused` when the session
   * is live but `oldHash` is not its current token (an old, rotated one, or a forgery).
   */
  async rotate(
    id: string,
    oldHash: TokenHash,
    newHash: TokenHash,
    expiresAt: Date,
  ): Promise<{ outcome: 'rotated'; userId: string } | { outcome: 'reused' | 'unknown' }> {
    const now = new Date();
    const { count } = await this.prisma.refreshToken.updateMany({
      where: { id, tokenHash: oldHash, expiresAt: { gt: now } },
      data: { tokenHash: newHash, rotatedAt: now, expiresAt },
    });
    const row = await this.prisma.refreshToken.findUnique({
      where: { id },
      select: { userId: true, expiresAt: true },
    });
    if (count === 1 && row) return { outcome: 'rotated', userId: row.userId };
    return { outcome: row && row.expiresAt > now ? 'reused' : 'unknown' };
  }

  /** Ends the session; with `tokenHash`, only if that is its current token. Whether it did. */
  async delete(id: string, tokenHash?: TokenHash): Promise<boolean> {
    const { count } = await this.prisma.refreshToken.deleteMany({
      where: tokenHash ? { id, tokenHash } : { id },
    });
    return count > 0;
  }
}
