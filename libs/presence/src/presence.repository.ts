import { Injectable } from '@nestjs/common';
import { PrismaService } from '@app/database';

export interface ChatRow {
  groupId: string | null;
  userId: string | null;
  email: string | null;
}

@Injectable()
export class PresenceRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * For each user: their email and everyone who sees their presence (contacts and co-members
   * of any group), in one query.
   */
  async watchersOf(
    userIds: readonly string[],
  ): Promise<{ userId: string; email: string; watcherIds: string[] }[]> {
    const rows = await this.prisma.$queryRaw<
      { user_id: string; email: string; watcher_ids: string[] | null }[]
    >`
      SELECT u.id::text AS user_id, u.email,
             ARRAY(
               SELECT c.contact_id::text FROM contacts c WHERE c.user_id = u.id
               UNION
               SELECT other.user_id::text
                 FROM group_members mine
                 JOIN group_members other ON other.group_id = mine.group_id AND other.user_id <> u.id
                WHERE mine.user_id = u.id
             ) AS watcher_ids
        FROM users u
       WHERE u.id = ANY(${userIds as string[]}::uuid[])`;
    return rows.map((r) => ({
      userId: r.user_id,
      email: r.email,
      watcherIds: r.watcher_ids ?? [],
    }));
  }

  /**
   * The user's contacts (groupId null) and, per group they belong to, the other members
   * (a group with no one else appears once with userId null).
   */
  async chatsOf(userId: string): Promise<ChatRow[]> {
    // On every connect: a named statement on the pg pool, not a Prisma query (see PrismaService.pool).
    const { rows } = await this.prisma.pool.query<ChatRow>({
      name: 'bowl_chats_of',
      text: `SELECT NULL::text AS "groupId", u.id::text AS "userId", u.email
               FROM contacts c JOIN users u ON u.id = c.contact_id
              WHERE c.user_id = $1
             UNION ALL
             SELECT mine.group_id::text, u.id::text, u.email
               FROM group_members mine
               LEFT JOIN group_members other ON other.group_id = mine.group_id AND other.user_id <> mine.user_id
               LEFT JOIN users u ON u.id = other.user_id
              WHERE mine.user_id = $1`,
      values: [userId],
    });
    return rows;
  }
}
