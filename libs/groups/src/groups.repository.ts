import { Injectable } from '@nestjs/common';
import { PrismaService } from '@app/database';

export interface GroupRecord {
  id: string;
  name: string;
  description: string;
}

/** An invitation as the invitee sees it (groupRequestReceived). */
export interface GroupInvitation {
  name: string;
  description: string;
  groupId: string;
  encryptedGroupKey: string;
}

export interface MemberRecord {
  userId: string;
  name: string;
  email: string;
  publicKey: string;
  isAdmin: boolean;
}

export interface RemovalResult {
  removed: boolean;
  /** The member promoted because the last admin left, if any. */
  promotedUserId?: string;
}

@Injectable()
export class GroupsRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(group: GroupRecord, creatorId: string, encryptedGroupKey: string): Promise<void> {
    await this.prisma.group.create({
      data: {
        ...group,
        members: { create: { userId: creatorId, isAdmin: true, encryptedGroupKey } },
      },
    });
  }

  findGroup(groupId: string): Promise<GroupRecord | null> {
    return this.prisma.group.findUnique({
      where: { id: groupId },
      select: { id: true, name: true, description: true },
    });
  }

  /** The caller's membership, or null when they are not a member. */
  membership(groupId: string, userId: string): Promise<{ isAdmin: boolean } | null> {
    return this.prisma.groupMember.findUnique({
      where: { groupId_userId: { groupId, userId } },
      select: { isAdmin: true },
    });
  }

  /** Every member with their public profile, oldest member first. */
  async members(groupId: string): Promise<MemberRecord[]> {
    const rows = await this.prisma.groupMember.findMany({
      where: { groupId },
      orderBy: [{ joinedAt: 'asc' }, { userId: 'asc' }],
      select: {
        isAdmin: true,
        user: { select: { id: true, name: true, email: true, publicKey: true } },
      },
    });
    return rows.map(({ isAdmin, user }) => ({
      userId: user.id,
      name: user.name,
      email: user.email,
      publicKey: user.publicKey,
      isAdmin,
    }));
  }

  async memberIds(groupId: string): Promise<string[]> {
    const rows = await this.prisma.groupMember.findMany({
      where: { groupId },
      select: { userId: true },
    });
    return rows.map((r) => r.userId);
  }

  async hasInvite(groupId: string, inviteeId: string): Promise<boolean> {
    const row = await this.prisma.groupInvite.findUnique({
      where: { groupId_inviteeId: { groupId, inviteeId } },
      select: { groupId: true },
    });
    return row !== null;
  }

  /** false when an invitation is already pending. */
  async createInvite(
    groupId: string,
    inviteeId: string,
    inviterId: string,
    encryptedGroupKey: string,
  ): Promise<boolean> {
    const { count } = await this.prisma.groupInvite.createMany({
      data: [{ groupId, inviteeId, inviterId, encryptedGroupKey }],
      skipDuplicates: true,
    });
    return count > 0;
  }

  /** Turns the pending invitation into a membership, atomically; false when none was pending. */
  async acceptInvite(groupId: string, userId: string): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      // DELETE … RETURNING, not read-then-delete: of two accepts at once, only one finds the row.
      const [invite] = await tx.$queryRaw<{ encrypted_group_key: string }[]>`
        DELETE FROM group_invites WHERE group_id = ${groupId} AND invitee_id = ${userId}::uuid
        RETURNING encrypted_group_key`;
      if (!invite) return false;
      await tx.groupMember.create({
        data: { groupId, userId, encryptedGroupKey: invite.encrypted_group_key },
      });
      return true;
    });
  }

  async deleteInvite(groupId: string, inviteeId: string): Promise<boolean> {
    const { count } = await this.prisma.groupInvite.deleteMany({ where: { groupId, inviteeId } });
    return count > 0;
  }

  /**
   * Removes a member. A group left without members is deleted; a group left without an admin
   * gets its oldest member promoted, in the same transaction.
   */
  async removeMember(groupId: string, userId: string): Promise<RemovalResult> {
    return this.prisma.$transaction(async (tx) => {
      // Lock the group row: concurrent removals must not each see "another admin remains".
      await tx.$queryRaw`SELECT 1 FROM groups WHERE id = ${groupId} FOR UPDATE`;
      const { count } = await tx.groupMember.deleteMany({ where: { groupId, userId } });
      if (count === 0) return { removed: false };
      const remaining = await tx.groupMember.findMany({
        where: { groupId },
        orderBy: [{ joinedAt: 'asc' }, { userId: 'asc' }],
        select: { userId: true, isAdmin: true },
      });
      if (remaining.length === 0) {
        await tx.group.delete({ where: { id: groupId } });
        return { removed: true };
      }
      if (remaining.some((m) => m.isAdmin)) return { removed: true };
      const oldest = remaining[0].userId;
      await tx.groupMember.update({
        where: { groupId_userId: { groupId, userId: oldest } },
        data: { isAdmin: true },
      });
      return { removed: true, promotedUserId: oldest };
    });
  }

  async setAdmin(groupId: string, userId: string): Promise<void> {
    await this.prisma.groupMember.update({
      where: { groupId_userId: { groupId, userId } },
      data: { isAdmin: true },
    });
  }

  /** Invitations waiting for the user's answer, oldest first. */
  async pendingInvitesFor(userId: string): Promise<GroupInvitation[]> {
    // On every connect: a named statement on the pg pool, not a Prisma query (see PrismaService.pool).
    const { rows } = await this.prisma.pool.query<GroupInvitation>({
      name: 'bowl_pending_invites_for',
      text: `SELECT g.name, g.description, g.id AS "groupId", i.encrypted_group_key AS "encryptedGroupKey"
               FROM group_invites i JOIN groups g ON g.id = i.group_id
              WHERE i.invitee_id = $1
              ORDER BY i.created_at`,
      values: [userId],
    });
    return rows;
  }
}
