import { Client } from 'pg';
import { emitAck } from '../support/clients';
import { makeContacts, makeGroup } from '../support/chat';
import { randomWrappedKey } from '../support/crypto';
import { expectError, expectOk, sleep } from '../support/expect';
import { FLEET_TEST_TIMEOUT, QUIET_MS, useFleet } from '../support/fleet-suite';

/**
 * Group invitations and the group caps across two gateway processes, with small caps
 * (3 members and invitations per group, 2 groups per user, 2 invitations waiting per user).
 */
describe('groups across a fleet of two gateways', () => {
  const f = useFleet(2, {
    MAX_GROUP_MEMBERS: '3',
    MAX_GROUPS_PER_USER: '2',
    MAX_PENDING_GROUP_INVITATIONS: '2',
  });
  let g0: string;
  let g1: string;
  beforeAll(() => {
    [g0, g1] = f.urls;
  });

  const invite = (groupId: string, email: string) => ({
    groupId,
    email,
    encryptedGroupKey: randomWrappedKey(),
  });

  it(
    'an admin cancels an invitation: the invitee is told, and it is never replayed',
    async () => {
      const [alice, bob, carol] = await Promise.all(['Alice', 'Bob', 'Carol'].map(f.register));
      const a = await f.openAs(g0, alice);
      const b = await f.openAs(g1, bob);
      const c = await f.openAs(g1, carol);
      await makeContacts(a.socket, b.socket, alice.email, bob.email);
      await makeContacts(a.socket, c.socket, alice.email, carol.email);
      const groupId = await makeGroup(a.socket, [{ email: carol.email, socket: c.socket }]);
      expectOk(await emitAck(a.socket, 'sendGroupRequest', invite(groupId, bob.email)));
      await b.waitFor('groupRequestReceived', (p) => p.groupId === groupId);

      // A member who is not an admin may not; the admin may, once.
      expectError(
        await emitAck(c.socket, 'cancelGroupRequest', { groupId, email: bob.email }),
        /^only an admin can do that$/,
        'not_group_admin',
      );
      expect(await emitAck(a.socket, 'cancelGroupRequest', { groupId, email: bob.email })).toEqual({
        status: 'OK',
      });
      expect(await b.waitFor('groupRequestCancelled')).toEqual({ groupId });
      expectError(
        await emitAck(a.socket, 'cancelGroupRequest', { groupId, email: bob.email }),
        /^no pending invitation for that email$/,
        'no_pending_invitation',
      );
      expectError(
        await emitAck(b.socket, 'acceptGroupRequest', { groupId }),
        /^no pending invitation to that group$/,
        'no_pending_invitation',
      );

      const again = await f.openAs(g0, bob);
      await again.waitFor('onlineChats');
      await sleep(QUIET_MS);
      expect(again.all('groupRequestReceived')).toEqual([]);
      expect(c.all('groupRequestCancelled')).toEqual([]);
    },
    FLEET_TEST_TIMEOUT,
  );

  it(
    'an invitation dies with its group: the invitee online is told, the one offline gets nothing',
    async () => {
      const [alice, carol, dave] = await Promise.all(['Alice', 'Carol', 'Dave'].map(f.register));
      const a = await f.openAs(g0, alice);
      const c = await f.openAs(g1, carol);
      const d = await f.plainAs(g0, dave);
      await makeContacts(a.socket, c.socket, alice.email, carol.email);
      await makeContacts(a.socket, d, alice.email, dave.email);
      d.close();
      const groupId = await makeGroup(a.socket, []);
      expectOk(await emitAck(a.socket, 'sendGroupRequest', invite(groupId, carol.email)));
      expectOk(await emitAck(a.socket, 'sendGroupRequest', invite(groupId, dave.email)));
      await c.waitFor('groupRequestReceived', (p) => p.groupId === groupId);

      expectOk(await emitAck(a.socket, 'leaveGroup', { groupId })); // the last member
      expect(await c.waitFor('groupRequestCancelled')).toEqual({ groupId });

      const pg = new Client({ connectionString: f.fleet.db.url });
      await pg.connect();
      const { rows } = await pg.query(
        `SELECT (SELECT count(*) FROM groups WHERE id = $1)::int AS groups,
                (SELECT count(*) FROM group_invites WHERE group_id = $1)::int AS invitations`,
        [groupId],
      );
      await pg.end();
      expect(rows).toEqual([{ groups: 0, invitations: 0 }]);

      const dave2 = await f.openAs(g1, dave);
      expect(await dave2.waitFor('onlineChats')).toEqual({ contacts: [alice.email], groups: [] });
      await sleep(QUIET_MS);
      expect(dave2.all('groupRequestReceived')).toEqual([]);
      expectError(
        await emitAck(dave2.socket, 'acceptGroupRequest', { groupId }),
        /^no pending invitation to that group$/,
        'no_pending_invitation',
      );
    },
    FLEET_TEST_TIMEOUT,
  );

  it(
    'refuses beyond the caps with the cap in the message',
    async () => {
      const [alice, bob, carol, dave] = await Promise.all(
        ['Alice', 'Bob', 'Carol', 'Dave'].map(f.register),
      );
      const a = await f.openAs(g0, alice);
      const b = await f.plainAs(g1, bob);
      for (const [user, url] of [
        [bob, g1],
        [carol, g0],
        [dave, g1],
      ] as const) {
        const other = user === bob ? b : await f.plainAs(url, user);
        await makeContacts(a.socket, other, alice.email, user.email);
      }
      const groupId = await makeGroup(a.socket, [{ email: bob.email, socket: b }]);
      expectOk(await emitAck(a.socket, 'sendGroupRequest', invite(groupId, carol.email)));

      expectError(
        await emitAck(a.socket, 'sendGroupRequest', invite(groupId, dave.email)),
        /^the group is full \(max 3 members and pending invitations\)$/,
        'group_full',
      );
      expectOk(
        await emitAck(a.socket, 'createGroup', { name: 'Second', encryptedGroupKey: 'a2V5' }),
      );
      expectError(
        await emitAck(a.socket, 'createGroup', { name: 'Third', encryptedGroupKey: 'a2V5' }),
        /^you are in too many groups \(max 2\)$/,
        'too_many_groups',
      );
      expect(a.socket.connected && b.connected).toBe(true);
    },
    FLEET_TEST_TIMEOUT,
  );
});
