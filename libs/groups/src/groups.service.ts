import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AuthUser, UsersRepository } from '@app/auth';
import { APP_CONFIG, AppConfig, Notifier } from '@app/common';
import { ContactsService } from '@app/contacts';
import { PresenceService } from '@app/presence';
import { GroupDetailsDto, SendGroupRequestDto } from './dto/groups.dto';
import {
  AlreadyGroupAdminError,
  AlreadyGroupMemberError,
  AlreadyInvitedError,
  CannotRemoveSelfError,
  GroupFullError,
  InviteeNotAContactError,
  NoPendingInvitationError,
  NoSuchGroupError,
  NoSuchMemberError,
  NotGroupAdminError,
  NotGroupMemberError,
  TooManyGroupsError,
  TooManyInvitationsError,
} from './groups.errors';
import { GroupInvitation, GroupsRepository, MemberRecord } from './groups.repository';

export type { GroupInvitation };

const memberView = (m: MemberRecord) => ({
  name: m.name,
  email: m.email,
  publicKey: m.publicKey,
  isAdmin: m.isAdmin,
});

@Injectable()
export class GroupsService {
  constructor(
    private readonly groups: GroupsRepository,
    private readonly users: UsersRepository,
    private readonly contacts: ContactsService,
    private readonly notifier: Notifier,
    private readonly presence: PresenceService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * The creator becomes the first member and an admin. Without `encryptedGroupKey` (Bowl
   * Desktop makes groups so) the creator's client alone keeps the group key.
   */
  async create(
    caller: AuthUser,
    group: GroupDetailsDto & { encryptedGroupKey?: string },
  ): Promise<{ groupId: string }> {
    const groupId = randomBytes(12).toString('hex');
    const max = this.config.MAX_GROUPS_PER_USER;
    const created = await this.groups.create(
      { id: groupId, name: group.name, description: group.description ?? '' },
      caller.id,
      group.encryptedGroupKey ?? null,
      max,
    );
    if (!created) throw new TooManyGroupsError(max);
    return { groupId };
  }

  /** An admin invites one of their contacts, handing them the group key wrapped for them. */
  async invite(caller: AuthUser, dto: SendGroupRequestDto): Promise<void> {
    const group = await this.groups.findGroup(dto.groupId);
    const membership = group && (await this.groups.membership(dto.groupId, caller.id));
    if (!group || !membership) throw new NoSuchGroupError();
    if (!membership.isAdmin) throw new NotGroupAdminError('only an admin can invite to this group');
    const invitee = await this.users.findByEmail(dto.email);
    if (!invitee || !(await this.contacts.isContact(caller.id, invitee.id))) {
      throw new InviteeNotAContactError();
    }
    if (await this.groups.membership(dto.groupId, invitee.id)) throw new AlreadyGroupMemberError();
    const { MAX_GROUP_MEMBERS, MAX_PENDING_GROUP_INVITATIONS } = this.config;
    const outcome = await this.groups.createInvite(
      {
        groupId: dto.groupId,
        inviteeId: invitee.id,
        inviterId: caller.id,
        encryptedGroupKey: dto.encryptedGroupKey,
      },
      { groupSize: MAX_GROUP_MEMBERS, invitations: MAX_PENDING_GROUP_INVITATIONS },
    );
    if (outcome === 'duplicate') throw new AlreadyInvitedError();
    if (outcome === 'groupFull') throw new GroupFullError(MAX_GROUP_MEMBERS);
    if (outcome === 'inviteeFull') throw new TooManyInvitationsError(MAX_PENDING_GROUP_INVITATIONS);
    this.notifier.toUsers([invitee.id], 'groupRequestReceived', {
      name: group.name,
      description: group.description,
      groupId: group.id,
      encryptedGroupKey: dto.encryptedGroupKey,
    } satisfies GroupInvitation);
  }

  /** Joins the group; returns every member (the caller included) and tells the others. */
  async acceptInvite(caller: AuthUser, groupId: string) {
    const { MAX_GROUP_MEMBERS, MAX_GROUPS_PER_USER } = this.config;
    const outcome = await this.groups.acceptInvite(groupId, caller.id, {
      groupSize: MAX_GROUP_MEMBERS,
      groups: MAX_GROUPS_PER_USER,
    });
    if (outcome === 'noInvitation') throw new NoPendingInvitationError();
    if (outcome === 'groupFull') throw new GroupFullError(MAX_GROUP_MEMBERS);
    if (outcome === 'tooManyGroups') throw new TooManyGroupsError(MAX_GROUPS_PER_USER);
    const members = await this.groups.members(groupId);
    const me = members.find((m) => m.userId === caller.id);
    if (me) {
      this.notifier.toUsers(this.others(members, caller.id), 'newGroupMember', {
        groupId,
        name: me.name,
        email: me.email,
        publicKey: me.publicKey,
      });
      const others = members
        .filter((m) => m.userId !== caller.id)
        .map((m) => ({ id: m.userId, email: m.email }));
      await this.presence.introduce(caller, others);
    }
    return { members: members.map(memberView) };
  }

  async declineInvite(caller: AuthUser, groupId: string): Promise<void> {
    if (!(await this.groups.deleteInvite(groupId, caller.id))) {
      throw new NoPendingInvitationError();
    }
  }

  /** An admin withdraws a pending invitation; the invitee gets `groupRequestCancelled`. */
  async cancelInvite(caller: AuthUser, groupId: string, email: string): Promise<void> {
    await this.adminView(caller, groupId);
    const invitee = await this.users.findByEmail(email);
    if (!invitee || !(await this.groups.deleteInvite(groupId, invitee.id))) {
      throw new NoPendingInvitationError('no pending invitation for that email');
    }
    this.notifier.toUsers([invitee.id], 'groupRequestCancelled', { groupId });
  }

  async leave(caller: AuthUser, groupId: string): Promise<void> {
    const members = await this.groups.members(groupId);
    if (!members.some((m) => m.userId === caller.id)) throw new NotGroupMemberError();
    await this.removeAndTell(groupId, members, caller.id, caller.email, false);
  }

  async removeMember(caller: AuthUser, groupId: string, email: string): Promise<void> {
    const members = await this.adminView(caller, groupId);
    const target = members.find((m) => m.email === email);
    if (!target) throw new NoSuchMemberError();
    if (target.userId === caller.id) throw new CannotRemoveSelfError();
    await this.removeAndTell(groupId, members, target.userId, target.email, true);
  }

  async promoteMember(caller: AuthUser, groupId: string, email: string): Promise<void> {
    const members = await this.adminView(caller, groupId);
    const target = members.find((m) => m.email === email);
    if (!target) throw new NoSuchMemberError();
    if (target.isAdmin) throw new AlreadyGroupAdminError();
    await this.groups.setAdmin(groupId, target.userId);
    this.notifier.toUsers(
      members.map((m) => m.userId),
      'groupMemberPromoted',
      { groupId, email: target.email },
    );
  }

  /** Ids of every member; a 1:N sender must be one of them. */
  async memberIdsForSender(caller: AuthUser, groupId: string): Promise<string[]> {
    const ids = await this.groups.memberIds(groupId);
    if (!ids.includes(caller.id)) throw new NotGroupMemberError();
    return ids;
  }

  /** Invitations still waiting for the user's answer (replayed on every connect). */
  pendingInvitesFor(userId: string): Promise<GroupInvitation[]> {
    return this.groups.pendingInvitesFor(userId);
  }

  private async adminView(caller: AuthUser, groupId: string): Promise<MemberRecord[]> {
    const members = await this.groups.members(groupId);
    const me = members.find((m) => m.userId === caller.id);
    if (!me) throw new NoSuchGroupError();
    if (!me.isAdmin) throw new NotGroupAdminError();
    return members;
  }

  private async removeAndTell(
    groupId: string,
    members: MemberRecord[],
    userId: string,
    email: string,
    removed: boolean,
  ): Promise<void> {
    const result = await this.groups.removeMember(groupId, userId);
    if (!result.removed) throw new NotGroupMemberError();
    // The removed member hears it too, so their client can drop the group.
    this.notifier.toUsers(
      members.map((m) => m.userId),
      'groupMemberLeft',
      { groupId, email, removed },
    );
    if (result.uninvitedUserIds?.length) {
      this.notifier.toUsers(result.uninvitedUserIds, 'groupRequestCancelled', { groupId });
    }
    const promoted = members.find((m) => m.userId === result.promotedUserId);
    if (promoted) {
      this.notifier.toUsers(this.others(members, userId), 'groupMemberPromoted', {
        groupId,
        email: promoted.email,
      });
    }
  }

  private others(members: MemberRecord[], userId: string): string[] {
    return members.filter((m) => m.userId !== userId).map((m) => m.userId);
  }
}
