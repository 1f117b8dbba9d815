import { Client } from 'pg';
import { expectRefusal } from '../../../test/support/expect';
import { GROUP_KEY, ServiceHarness, useServiceHarness } from '../../../test/support/service-module';
import { CreateGroupDto, SendGroupRequestDto } from './dto/groups.dto';
import { GroupFullError, TooManyGroupsError, TooManyInvitationsError } from './groups.errors';
import { GroupsService } from './groups.service';

type User = Awaited<ReturnType<ServiceHarness['user']>>;

describe('GroupsService caps (3 per group, 2 groups per user, 2 invitations waiting per user)', () => {
  const ctx = useServiceHarness({
    MAX_GROUP_MEMBERS: '3',
    MAX_GROUPS_PER_USER: '2',
    MAX_PENDING_GROUP_INVITATIONS: '2',
  });
  let h: ServiceHarness;
  let pg: Client;
  let groups: GroupsService;

  beforeAll(() => {
    ({ h, pg } = ctx);
    groups = h.app.get(GroupsService);
  });

  const create = (caller: User) =>
    groups.create(caller, { name: 'G', encryptedGroupKey: GROUP_KEY } as CreateGroupDto);
  const invite = (admin: User, groupId: string, invitee: User) =>
    groups.invite(admin, {
      groupId,
      email: invitee.email,
      encryptedGroupKey: GROUP_KEY,
    } as SendGroupRequestDto);
  const count = async (sql: string, id: string) =>
    (await pg.query(`SELECT count(*)::int AS n FROM ${sql}`, [id])).rows[0].n as number;

  it('counts pending invitations towards the group size, and frees the seat when one is declined', async () => {
    const [alice, bob, carol, dave] = await h.users('Alice', 'Bob', 'Carol', 'Dave');
    const groupId = await h.groupOf(alice, bob);
    await h.makeContacts(alice, carol, dave);
    await invite(alice, groupId, carol);

    await expectRefusal(
      invite(alice, groupId, dave),
      GroupFullError,
      'the group is full (max 3 members and pending invitations)',
    );
    expect(h.notifier.to(dave.id, 'groupRequestReceived')).toEqual([]);

    await groups.declineInvite(carol, groupId);
    await expect(invite(alice, groupId, dave)).resolves.toBeUndefined();
    await groups.acceptInvite(dave, groupId);
    expect(await count('group_members WHERE group_id = $1', groupId)).toBe(3);
  });

  it('refuses a third group, created or joined; a refused invitation stays until there is room', async () => {
    const [alice, bob] = await h.users('Alice', 'Bob');
    await create(bob);
    const { groupId: second } = await create(bob);
    await expectRefusal(create(bob), TooManyGroupsError, 'you are in too many groups (max 2)');

    const { groupId: third } = await create(alice);
    await h.makeContacts(alice, bob);
    await invite(alice, third, bob);
    await expectRefusal(
      groups.acceptInvite(bob, third),
      TooManyGroupsError,
      'you are in too many groups (max 2)',
    );
    expect(await groups.pendingInvitesFor(bob.id)).toEqual([
      expect.objectContaining({ groupId: third }),
    ]);

    await groups.leave(bob, second);
    await expect(groups.acceptInvite(bob, third)).resolves.toBeDefined();
    expect(await count('group_members WHERE user_id = $1', bob.id)).toBe(2);
  });

  it('refuses a third invitation waiting for the same user', async () => {
    const [bob, a1, a2, a3] = await h.users('Bob', 'A1', 'A2', 'A3');
    const groupIds: string[] = [];
    for (const admin of [a1, a2, a3]) {
      groupIds.push((await create(admin)).groupId);
      await h.makeContacts(admin, bob);
    }
    await invite(a1, groupIds[0], bob);
    await invite(a2, groupIds[1], bob);

    await expectRefusal(
      invite(a3, groupIds[2], bob),
      TooManyInvitationsError,
      'that user has too many pending group invitations (max 2)',
    );
    expect(h.notifier.to(bob.id, 'groupRequestReceived')).toHaveLength(2);
    expect(await count('group_invites WHERE invitee_id = $1', bob.id)).toBe(2);
  });

  it('never overshoots the group size when invitations race', async () => {
    const [alice, ...invitees] = await h.users('Alice', 'I1', 'I2', 'I3', 'I4');
    const { groupId } = await create(alice);
    await h.makeContacts(alice, ...invitees);

    const results = await Promise.allSettled(invitees.map((u) => invite(alice, groupId, u)));

    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    expect(await count('group_invites WHERE group_id = $1', groupId)).toBe(2);
  });
});
