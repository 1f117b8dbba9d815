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
  /** When the group died with its last member: who had an invitation to it (now gone too). */
  uninvitedUserIds?: string[];
}

type Tx = Parameters<Parameters<PrismaService['$transaction']>[0]>[0];

/**
 * Serialises what changes how many groups a user is in or invited to (create, invite, accept),
 * so that concurrent calls cannot overshoot a cap. Taken after any group row lock.
 */
async function lockUserGroups(tx: Tx, userId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`groups:${userId}`}, 0))`;
}

async function lockGroup(tx: Tx, groupId: string): Promise<void> {
  await tx.$queryRaw`SELECT 1 FROM groups WHERE id = ${groupId} FOR UPDATE`;
}

@Injectable()
export class GroupsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Creates the group with its creator as admin; false when they are in `maxGroups` already. */
  async create(
    group: GroupRecord,
    creatorId: string,
    encryptedGroupKey: string | null,
    maxGroups: number,
  ): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      await lockUserGroups(tx, creatorId);
      if ((await tx.groupMember.count({ where: { userId: creatorId } })) >= maxGroups) return false;
      await tx.group.create({
        data: {
          ...group,
          members: { create: { userId: creatorId, isAdmin: true, encryptedGroupKey } },
        },
      });
      return true;
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

  /**
   * Records an invitation unless one is already pending, the group holds `limits.groupSize`
   * members and invitations, or the invitee has `limits.invitations` invitations waiting.
   */
  async createInvite(
    invite: { groupId: string; inviteeId: string; inviterId: string; encryptedGroupKey: string },
    limits: { groupSize: number; invitations: number },
  ): Promise<'created' | 'duplicate' | 'groupFull' | 'inviteeFull'> {
    return this.prisma.$transaction(async (tx) => {
      await lockGroup(tx, invite.groupId);
      await lockUserGroups(tx, invite.inviteeId);
      const [counts] = await tx.$queryRaw<{ size: number; waiting: number }[]>`
        SELECT (SELECT count(*) FROM group_members WHERE group_id = ${invite.groupId})::int
             + (SELECT count(*) FROM group_invites WHERE group_id = ${invite.groupId})::int AS size,
               (SELECT count(*) FROM group_invites WHERE invitee_id = ${invite.inviteeId}::uuid)::int AS waiting`;
      if (counts.size >= limits.groupSize) return 'groupFull';
      if (counts.waiting >= limits.invitations) return 'inviteeFull';
      const { count } = await tx.groupInvite.createMany({ data: [invite], skipDuplicates: true });
      return count > 0 ? 'created' : 'duplicate';
    });
  }

  /**
   * Turns the pending invitation into a membership, atomically, unless the group already has
   * `limits.groupSize` members or the user is in `limits.groups` groups (then the invitation
   * stays, to be accepted once there is room).
   */
  async acceptInvite(
    groupId: string,
    userId: string,
    limits: { groupSize: number; groups: number },
  ): Promise<'joined' | 'noInvitation' | 'groupFull' | 'tooManyGroups'> {
    return this.prisma.$transaction(async (tx) => {
      await lockGroup(tx, groupId);
      await lockUserGroups(tx, userId);
      const [counts] = await tx.$queryRaw<{ invited: boolean; size: number; groups: number }[]>`
        SELECT EXISTS (SELECT 1 FROM group_invites
                        WHERE group_id = ${groupId} AND invitee_id = ${userId}::uuid) AS invited,
               (SELECT count(*) FROM group_members WHERE group_id = ${groupId})::int AS size,
               (SELECT count(*) FROM group_members WHERE user_id = ${userId}::uuid)::int AS groups`;
      if (!counts.invited) return 'noInvitation';
      if (counts.size >= limits.groupSize) return 'groupFull';
      if (counts.groups >= limits.groups) return 'tooManyGroups';
      // DELETE … RETURNING: a decline or cancel racing this accept leaves nothing to join.
      const [invite] = await tx.$queryRaw<{ encrypted_group_key: string }[]>`
        DELETE FROM group_invites WHERE group_id = ${groupId} AND invitee_id = ${userId}::uuid
        RETURNING encrypted_group_key`;
      if (!invite) return 'noInvitation';
      await tx.groupMember.create({
        data: { groupId, userId, encryptedGroupKey: invite.encrypted_group_key },
      });
      return 'joined';
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
      await lockGroup(tx, groupId);
      const { count } = await tx.groupMember.deleteMany({ where: { groupId, userId } });
      if (count === 0) return { removed: false };
      const remaining = await tx.groupMember.findMany({
        where: { groupId },
        orderBy: [{ joinedAt: 'asc' }, { userId: 'asc' }],
        select: { userId: true, isAdmin: true },
      });
      if (remaining.length === 0) {
        const invited = await tx.groupInvite.findMany({
          where: { groupId },
          select: { inviteeId: true },
        });
        // Its invitations go with it (ON DELETE CASCADE).
        await tx.group.delete({ where: { id: groupId } });
        return { removed: true, uninvitedUserIds: invited.map((i) => i.inviteeId) };
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
