import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { ContactsService } from '@app/contacts';
import { expectRefusal, sleep } from '../../../test/support/expect';
import { GROUP_KEY, ServiceHarness, useServiceHarness } from '../../../test/support/service-module';
import { CreateGroupDto, SendGroupRequestDto } from './dto/groups.dto';
import {
  AlreadyGroupAdminError,
  AlreadyGroupMemberError,
  AlreadyInvitedError,
  CannotRemoveSelfError,
  InviteeNotAContactError,
  NoPendingInvitationError,
  NoSuchGroupError,
  NoSuchMemberError,
  NotGroupAdminError,
  NotGroupMemberError,
} from './groups.errors';
import { GroupsService } from './groups.service';

type User = Awaited<ReturnType<ServiceHarness['user']>>;

const KEY = GROUP_KEY; // the key h.groupOf wraps too; opaque base64 to the server

describe('GroupsService', () => {
  const ctx = useServiceHarness();
  let h: ServiceHarness;
  let pg: Client;
  let groups: GroupsService;
  let contacts: ContactsService;

  beforeAll(() => {
    ({ h, pg } = ctx);
    groups = h.app.get(GroupsService);
    contacts = h.app.get(ContactsService);
  });

  const create = (caller: User, dto: Partial<CreateGroupDto> = {}) =>
    groups.create(caller, { name: 'Friends', encryptedGroupKey: KEY, ...dto } as CreateGroupDto);

  const invite = (caller: User, groupId: string, invitee: User | string, key = KEY) =>
    groups.invite(caller, {
      groupId,
      email: typeof invitee === 'string' ? invitee : invitee.email,
      encryptedGroupKey: key,
    } as SendGroupRequestDto);

  /**
   * h.groupOf, with the joins at least 3 ms apart: joined_at has millisecond precision, and the
   * tests below read the join order.
   */
  async function groupOf(admin: User, ...members: User[]): Promise<string> {
    const groupId = await h.groupOf(admin);
    for (const member of members) {
      await sleep(3);
      await h.join(admin, groupId, member);
    }
    return groupId;
  }

  async function memberRows(groupId: string): Promise<{ user_id: string; is_admin: boolean }[]> {
    const { rows } = await pg.query(
      'SELECT user_id::text, is_admin FROM group_members WHERE group_id = $1 ORDER BY joined_at, user_id',
      [groupId],
    );
    return rows;
  }

  const adminFlags = async (groupId: string) =>
    Object.fromEntries((await memberRows(groupId)).map((r) => [r.user_id, r.is_admin]));

  const unknownGroupId = () => randomBytes(12).toString('hex');

  describe('create', () => {
    it('returns a 24-hex group id and makes the creator its only member, an admin', async () => {
      const [alice] = await h.users('Alice');

      const { groupId } = await create(alice, { name: 'Climbing', description: 'Sundays' });

      expect(groupId).toMatch(/^[0-9a-f]{24}$/);
      const { rows } = await pg.query('SELECT id, name, description FROM groups WHERE id = $1', [
        groupId,
      ]);
      expect(rows).toEqual([{ id: groupId, name: 'Climbing', description: 'Sundays' }]);
      const members = await pg.query(
        'SELECT user_id::text, is_admin, encrypted_group_key FROM group_members WHERE group_id = $1',
        [groupId],
      );
      expect(members.rows).toEqual([
        { user_id: alice.id, is_admin: true, encrypted_group_key: KEY },
      ]);
    });

    it('gives every group its own id and an empty description by default', async () => {
      const [alice] = await h.users('Alice');
      const first = await create(alice);
      const second = await create(alice);

      expect(first.groupId).not.toBe(second.groupId);
      const { rows } = await pg.query('SELECT description FROM groups WHERE id = $1', [
        first.groupId,
      ]);
      expect(rows).toEqual([{ description: '' }]);
      expect(await groups.memberIdsForSender(alice, first.groupId)).toEqual([alice.id]);
    });
  });

  describe('invite', () => {
    it("notifies the invitee with the group's data and their wrapped key", async () => {
      const [alice, bob] = await h.users('Alice', 'Bob');
      await h.makeContacts(alice, bob);
      const { groupId } = await create(alice, { name: 'Climbing', description: 'Sundays' });

      await expect(invite(alice, groupId, bob, 'Ym9iLWtleQ==')).resolves.toBeUndefined();

      const invitation = {
        name: 'Climbing',
        description: 'Sundays',
        groupId,
        encryptedGroupKey: 'Ym9iLWtleQ==',
      };
      expect(h.notifier.to(bob.id, 'groupRequestReceived')).toEqual([invitation]);
      expect(h.notifier.to(alice.id, 'groupRequestReceived')).toEqual([]);
      expect(await groups.pendingInvitesFor(bob.id)).toEqual([invitation]);
    });

    it('is for admins only', async () => {
      const [alice, bob, carol] = await h.users('Alice', 'Bob', 'Carol');
      const groupId = await groupOf(alice, bob);
      await h.makeContacts(bob, carol);

      await expectRefusal(
        invite(bob, groupId, carol),
        NotGroupAdminError,
        'only an admin can invite to this group',
      );
      expect(h.notifier.to(carol.id, 'groupRequestReceived')).toEqual([]);
      expect(await groups.pendingInvitesFor(carol.id)).toEqual([]);
    });

    it('refuses a caller who is not a member, and a group that does not exist', async () => {
      const [alice, bob, carol] = await h.users('Alice', 'Bob', 'Carol');
      const groupId = await groupOf(alice);
      await h.makeContacts(bob, carol);

      await expectRefusal(
        invite(bob, groupId, carol),
        NoSuchGroupError,
        'no such group, or you are not a member',
      );
      await expectRefusal(
        invite(bob, unknownGroupId(), carol),
        NoSuchGroupError,
        'no such group, or you are not a member',
      );
      expect(h.notifier.to(carol.id, 'groupRequestReceived')).toEqual([]);
    });

    it('only lets an admin invite their accepted contacts (nor themselves)', async () => {
      const [alice, stranger, requested, requester] = await h.users('A', 'S', 'Rq', 'Rr');
      const groupId = await groupOf(alice);
      await contacts.sendRequest(alice, requested.email); // not accepted yet
      await contacts.sendRequest(requester, alice.email); // not accepted yet

      for (const invitee of [stranger, requested, requester, alice.email, 'nobody@example.com']) {
        await expectRefusal(
          invite(alice, groupId, invitee),
          InviteeNotAContactError,
          'you can only invite your contacts',
        );
      }
      for (const user of [alice, stranger, requested, requester]) {
        expect(h.notifier.to(user.id, 'groupRequestReceived')).toEqual([]);
        expect(await groups.pendingInvitesFor(user.id)).toEqual([]);
      }
    });

    it('refuses inviting a member, or someone already invited', async () => {
      const [alice, bob, carol] = await h.users('Alice', 'Bob', 'Carol');
      const groupId = await groupOf(alice, bob);
      await h.makeContacts(alice, carol);
      await invite(alice, groupId, carol);

      await expectRefusal(
        invite(alice, groupId, bob),
        AlreadyGroupMemberError,
        'already a member of this group',
      );
      await expectRefusal(
        invite(alice, groupId, carol, 'YW5vdGhlcg=='),
        AlreadyInvitedError,
        'already invited to this group',
      );
      expect(h.notifier.to(carol.id, 'groupRequestReceived')).toHaveLength(1);
      // The first invitation (and its key) stands.
      expect(await groups.pendingInvitesFor(carol.id)).toEqual([
        expect.objectContaining({ groupId, encryptedGroupKey: KEY }),
      ]);
    });
  });

  describe('acceptInvite', () => {
    it('returns every member, the caller included, and tells the other members', async () => {
      const [alice, bob, carol] = await h.users('Alice', 'Bob', 'Carol');
      const groupId = await groupOf(alice, bob);
      await h.makeContacts(alice, carol);
      await invite(alice, groupId, carol, 'Y2Fyb2wta2V5');
      h.notifier.clear();

      const result = await groups.acceptInvite(carol, groupId);

      expect(result).toEqual({
        members: [
          { name: alice.name, email: alice.email, publicKey: alice.publicKey, isAdmin: true },
          { name: bob.name, email: bob.email, publicKey: bob.publicKey, isAdmin: false },
          { name: carol.name, email: carol.email, publicKey: carol.publicKey, isAdmin: false },
        ],
      });
      const announcement = {
        groupId,
        name: carol.name,
        email: carol.email,
        publicKey: carol.publicKey,
      };
      expect(h.notifier.sent).toEqual([
        {
          userIds: expect.arrayContaining([alice.id, bob.id]),
          event: 'newGroupMember',
          payload: announcement,
        },
      ]);
      expect(h.notifier.sent[0].userIds).toHaveLength(2);
      // The invitation became a membership carrying the key wrapped for the invitee.
      const { rows } = await pg.query(
        'SELECT is_admin, encrypted_group_key FROM group_members WHERE group_id = $1 AND user_id = $2',
        [groupId, carol.id],
      );
      expect(rows).toEqual([{ is_admin: false, encrypted_group_key: 'Y2Fyb2wta2V5' }]);
      expect(await groups.pendingInvitesFor(carol.id)).toEqual([]);
    });

    it('refuses joining without an invitation, and accepting twice', async () => {
      const [alice, bob, carol] = await h.users('Alice', 'Bob', 'Carol');
      const groupId = await groupOf(alice, bob);

      await expectRefusal(
        groups.acceptInvite(carol, groupId),
        NoPendingInvitationError,
        'no pending invitation to that group',
      );
      await expectRefusal(
        groups.acceptInvite(bob, groupId),
        NoPendingInvitationError,
        'no pending invitation to that group',
      );
      await expectRefusal(
        groups.acceptInvite(carol, unknownGroupId()),
        NoPendingInvitationError,
        'no pending invitation to that group',
      );
      expect(await memberRows(groupId)).toHaveLength(2);
    });
  });

  describe('acceptInvite, twice at once (e.g. two sockets of the invitee)', () => {
    it('lets one join and refuses the other with no_pending_invitation, not an internal error', async () => {
      const [alice, bob] = await h.users('Alice', 'Bob');
      const groupId = await groupOf(alice);
      await h.makeContacts(alice, bob);
      await invite(alice, groupId, bob);

      const results = await Promise.allSettled([
        groups.acceptInvite(bob, groupId),
        groups.acceptInvite(bob, groupId),
      ]);

      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const [refusal] = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
      expect(refusal).toMatchObject({
        name: 'NoPendingInvitationError',
        code: 'no_pending_invitation',
        message: 'no pending invitation to that group',
      });
      expect(refusal).toBeInstanceOf(NoPendingInvitationError);
      expect(await memberRows(groupId)).toHaveLength(2);
    });
  });

  describe('cancelInvite', () => {
    it('withdraws the invitation and tells the invitee only', async () => {
      const [alice, bob, carol] = await h.users('Alice', 'Bob', 'Carol');
      const groupId = await groupOf(alice, bob);
      await h.makeContacts(alice, carol);
      await invite(alice, groupId, carol);
      h.notifier.clear();

      await expect(groups.cancelInvite(alice, groupId, carol.email)).resolves.toBeUndefined();

      expect(h.notifier.sent).toEqual([
        { userIds: [carol.id], event: 'groupRequestCancelled', payload: { groupId } },
      ]);
      expect(await groups.pendingInvitesFor(carol.id)).toEqual([]);
      await expectRefusal(
        groups.acceptInvite(carol, groupId),
        NoPendingInvitationError,
        'no pending invitation to that group',
      );
      // Cancelled, so the admin may invite again.
      await expect(invite(alice, groupId, carol)).resolves.toBeUndefined();
    });

    it('is for admins only, and refuses what is not a pending invitation', async () => {
      const [alice, bob, carol, stranger] = await h.users('Alice', 'Bob', 'Carol', 'Stranger');
      const groupId = await groupOf(alice, bob);
      await h.makeContacts(alice, carol);
      await invite(alice, groupId, carol);

      await expectRefusal(
        groups.cancelInvite(bob, groupId, carol.email),
        NotGroupAdminError,
        'only an admin can do that',
      );
      await expectRefusal(
        groups.cancelInvite(stranger, groupId, carol.email),
        NoSuchGroupError,
        'no such group, or you are not a member',
      );
      for (const email of [bob.email, stranger.email, 'nobody@example.com']) {
        await expectRefusal(
          groups.cancelInvite(alice, groupId, email),
          NoPendingInvitationError,
          'no pending invitation for that email',
        );
      }
      expect(h.notifier.to(carol.id, 'groupRequestCancelled')).toEqual([]);
      expect(await groups.pendingInvitesFor(carol.id)).toHaveLength(1);
    });
  });

  describe('declineInvite', () => {
    it('removes the invitation; it can be neither accepted nor declined again', async () => {
      const [alice, bob] = await h.users('Alice', 'Bob');
      const groupId = await groupOf(alice);
      await h.makeContacts(alice, bob);
      await invite(alice, groupId, bob);

      await expect(groups.declineInvite(bob, groupId)).resolves.toBeUndefined();

      const { rows } = await pg.query(
        'SELECT count(*)::int AS n FROM group_invites WHERE group_id = $1',
        [groupId],
      );
      expect(rows[0].n).toBe(0);
      expect(await groups.pendingInvitesFor(bob.id)).toEqual([]);
      await expectRefusal(
        groups.declineInvite(bob, groupId),
        NoPendingInvitationError,
        'no pending invitation to that group',
      );
      await expectRefusal(
        groups.acceptInvite(bob, groupId),
        NoPendingInvitationError,
        'no pending invitation to that group',
      );
      expect(await memberRows(groupId)).toEqual([{ user_id: alice.id, is_admin: true }]);
      // The admin may invite again.
      await expect(invite(alice, groupId, bob)).resolves.toBeUndefined();
    });
  });

  describe('leave', () => {
    it('tells every member (the leaver included); another admin remaining, no one is promoted', async () => {
      const [alice, bob, carol] = await h.users('Alice', 'Bob', 'Carol');
      const groupId = await groupOf(alice, bob, carol);
      await groups.promoteMember(alice, groupId, bob.email);
      h.notifier.clear();

      await expect(groups.leave(carol, groupId)).resolves.toBeUndefined();

      for (const member of [alice, bob, carol]) {
        expect(h.notifier.to(member.id, 'groupMemberLeft')).toEqual([
          { groupId, email: carol.email, removed: false },
        ]);
      }
      await groups.leave(alice, groupId);
      expect(h.notifier.to(bob.id, 'groupMemberPromoted')).toEqual([]);
      expect(await memberRows(groupId)).toEqual([{ user_id: bob.id, is_admin: true }]);
    });

    it('refuses someone who is not a member', async () => {
      const [alice, bob] = await h.users('Alice', 'Bob');
      const groupId = await groupOf(alice);

      await expectRefusal(
        groups.leave(bob, groupId),
        NotGroupMemberError,
        'you are not a member of that group',
      );
      await expectRefusal(
        groups.leave(bob, unknownGroupId()),
        NotGroupMemberError,
        'you are not a member of that group',
      );
      expect(h.notifier.to(alice.id, 'groupMemberLeft')).toEqual([]);
    });

    it('promotes the oldest remaining member when the last admin leaves', async () => {
      const [alice, bob, carol, dave] = await h.users('Alice', 'Bob', 'Carol', 'Dave');
      // Joined in the order dave, bob, carol: dave is the oldest after alice.
      const groupId = await groupOf(alice, dave, bob, carol);
      h.notifier.clear();

      await groups.leave(alice, groupId);

      expect(await adminFlags(groupId)).toEqual({
        [dave.id]: true,
        [bob.id]: false,
        [carol.id]: false,
      });
      const promoted = h.notifier.sent.filter((s) => s.event === 'groupMemberPromoted');
      expect(promoted).toEqual([
        {
          userIds: expect.arrayContaining([dave.id, bob.id, carol.id]),
          event: 'groupMemberPromoted',
          payload: { groupId, email: dave.email },
        },
      ]);
      expect(promoted[0].userIds).not.toContain(alice.id);
      expect(h.notifier.to(alice.id, 'groupMemberLeft')).toEqual([
        { groupId, email: alice.email, removed: false },
      ]);
      // The new admin can act as one.
      await expect(groups.removeMember(dave, groupId, bob.email)).resolves.toBeUndefined();
    });

    it('deletes the group when its last member leaves', async () => {
      const [alice, bob, carol] = await h.users('Alice', 'Bob', 'Carol');
      const groupId = await groupOf(alice, bob);
      await h.makeContacts(alice, carol);
      await invite(alice, groupId, carol);

      await groups.leave(bob, groupId);
      await groups.leave(alice, groupId);

      const { rows } = await pg.query(
        `SELECT (SELECT count(*) FROM groups WHERE id = $1)::int AS groups,
                (SELECT count(*) FROM group_members WHERE group_id = $1)::int AS members,
                (SELECT count(*) FROM group_invites WHERE group_id = $1)::int AS invites`,
        [groupId],
      );
      expect(rows).toEqual([{ groups: 0, members: 0, invites: 0 }]);
      expect(await groups.pendingInvitesFor(carol.id)).toEqual([]);
      // The invitee is told that the invitation is gone (it died with the group).
      expect(h.notifier.to(carol.id, 'groupRequestCancelled')).toEqual([{ groupId }]);
      expect(h.notifier.to(alice.id, 'groupRequestCancelled')).toEqual([]);
      expect(h.notifier.to(alice.id, 'groupMemberPromoted')).toEqual([]);
    });
  });

  describe('removeMember', () => {
    it('removes the member and tells every member, the removed one included', async () => {
      const [alice, bob, carol] = await h.users('Alice', 'Bob', 'Carol');
      const groupId = await groupOf(alice, bob, carol);
      h.notifier.clear();

      await expect(groups.removeMember(alice, groupId, bob.email)).resolves.toBeUndefined();

      for (const member of [alice, bob, carol]) {
        expect(h.notifier.to(member.id, 'groupMemberLeft')).toEqual([
          { groupId, email: bob.email, removed: true },
        ]);
      }
      expect((await memberRows(groupId)).map((r) => r.user_id)).toEqual([alice.id, carol.id]);
      await expectRefusal(
        groups.memberIdsForSender(bob, groupId),
        NotGroupMemberError,
        'you are not a member of that group',
      );
    });

    it('is for admins only', async () => {
      const [alice, bob, carol] = await h.users('Alice', 'Bob', 'Carol');
      const groupId = await groupOf(alice, bob, carol);

      await expectRefusal(
        groups.removeMember(bob, groupId, carol.email),
        NotGroupAdminError,
        'only an admin can do that',
      );
      await expectRefusal(
        groups.removeMember(bob, groupId, alice.email),
        NotGroupAdminError,
        'only an admin can do that',
      );
      expect(await memberRows(groupId)).toHaveLength(3);
    });

    it('refuses a caller who is not a member, oneself, and an email that is not a member', async () => {
      const [alice, bob, stranger] = await h.users('Alice', 'Bob', 'Stranger');
      const groupId = await groupOf(alice, bob);

      await expectRefusal(
        groups.removeMember(stranger, groupId, bob.email),
        NoSuchGroupError,
        'no such group, or you are not a member',
      );
      await expectRefusal(
        groups.removeMember(alice, unknownGroupId(), bob.email),
        NoSuchGroupError,
        'no such group, or you are not a member',
      );
      await expectRefusal(
        groups.removeMember(alice, groupId, alice.email),
        CannotRemoveSelfError,
        'use leaveGroup to leave a group',
      );
      for (const email of [stranger.email, 'nobody@example.com']) {
        await expectRefusal(
          groups.removeMember(alice, groupId, email),
          NoSuchMemberError,
          'no member with that email in this group',
        );
      }
      expect(await memberRows(groupId)).toHaveLength(2);
      expect(h.notifier.to(bob.id, 'groupMemberLeft')).toEqual([]);
    });
  });

  describe('promoteMember', () => {
    it('makes the member an admin and tells every member', async () => {
      const [alice, bob, carol] = await h.users('Alice', 'Bob', 'Carol');
      const groupId = await groupOf(alice, bob, carol);
      h.notifier.clear();

      await expect(groups.promoteMember(alice, groupId, bob.email)).resolves.toBeUndefined();

      expect(await adminFlags(groupId)).toEqual({
        [alice.id]: true,
        [bob.id]: true,
        [carol.id]: false,
      });
      for (const member of [alice, bob, carol]) {
        expect(h.notifier.to(member.id, 'groupMemberPromoted')).toEqual([
          { groupId, email: bob.email },
        ]);
      }
      // Bob now has admin rights.
      await expect(groups.removeMember(bob, groupId, carol.email)).resolves.toBeUndefined();
    });

    it('is for admins only, and refuses promoting an admin or a non-member', async () => {
      const [alice, bob, carol, stranger] = await h.users('Alice', 'Bob', 'Carol', 'Stranger');
      const groupId = await groupOf(alice, bob, carol);

      await expectRefusal(
        groups.promoteMember(bob, groupId, carol.email),
        NotGroupAdminError,
        'only an admin can do that',
      );
      await expectRefusal(
        groups.promoteMember(bob, groupId, bob.email),
        NotGroupAdminError,
        'only an admin can do that',
      );
      await expectRefusal(
        groups.promoteMember(alice, groupId, alice.email),
        AlreadyGroupAdminError,
        'already an admin',
      );
      await expectRefusal(
        groups.promoteMember(alice, groupId, stranger.email),
        NoSuchMemberError,
        'no member with that email in this group',
      );
      await expectRefusal(
        groups.promoteMember(stranger, groupId, bob.email),
        NoSuchGroupError,
        'no such group, or you are not a member',
      );
      expect(await adminFlags(groupId)).toEqual({
        [alice.id]: true,
        [bob.id]: false,
        [carol.id]: false,
      });
      expect(h.notifier.to(carol.id, 'groupMemberPromoted')).toEqual([]);
    });
  });

  describe('memberIdsForSender', () => {
    it("returns every member's id to a member and refuses anyone else", async () => {
      const [alice, bob, stranger] = await h.users('Alice', 'Bob', 'Stranger');
      const groupId = await groupOf(alice, bob);

      expect((await groups.memberIdsForSender(bob, groupId)).sort()).toEqual(
        [alice.id, bob.id].sort(),
      );
      await expectRefusal(
        groups.memberIdsForSender(stranger, groupId),
        NotGroupMemberError,
        'you are not a member of that group',
      );
      await expectRefusal(
        groups.memberIdsForSender(alice, unknownGroupId()),
        NotGroupMemberError,
        'you are not a member of that group',
      );
    });
  });
});
