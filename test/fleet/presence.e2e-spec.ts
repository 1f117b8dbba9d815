import { connect } from '../support/clients';
import { makeContacts, makeGroup } from '../support/chat';
import { sleep } from '../support/expect';
import { RecordingSocket } from '../support/fleet';
import {
  FLEET_TEST_TIMEOUT,
  onlineChatsOf,
  QUIET_MS,
  sortedGroups,
  useFleet,
} from '../support/fleet-suite';

/** Fleet-wide presence: users spread over two gateway processes sharing one Redis. */
describe('presence across a fleet of two gateways', () => {
  const f = useFleet(2);
  let g0: string;
  let g1: string;
  beforeAll(() => {
    [g0, g1] = f.urls;
  });

  // ------------------------------------------------------------------------------------------
  it(
    'presence is fleet-wide: online once, offline with the last tab, onlineChats per connection',
    async () => {
      const [alice, bob, carol, dave] = await Promise.all(
        ['Alice', 'Bob', 'Carol', 'Dave'].map(f.register),
      );
      // Set-up: Alice is a contact of Bob, Carol and Dave (Bob and Carol are not contacts of
      // each other); G1 = {Alice, Bob, Carol}, G2 = {Alice}, G3 = {Alice, Dave}.
      const a1 = await f.openAs(g0, alice);
      const setup = {
        bob: await connect(g1, bob.token),
        carol: await connect(g1, carol.token),
        dave: await connect(g0, dave.token),
      };
      await makeContacts(a1.socket, setup.bob, alice.email, bob.email);
      await makeContacts(a1.socket, setup.carol, alice.email, carol.email);
      await makeContacts(a1.socket, setup.dave, alice.email, dave.email);
      const G1 = await makeGroup(
        a1.socket,
        [
          { email: bob.email, socket: setup.bob },
          { email: carol.email, socket: setup.carol },
        ],
        'G1',
      );
      const G2 = await makeGroup(a1.socket, [], 'G2');
      const G3 = await makeGroup(a1.socket, [{ email: dave.email, socket: setup.dave }], 'G3');
      for (const s of Object.values(setup)) s.close();
      for (const u of [bob, carol, dave]) await a1.waitFor('offline', (p) => p.email === u.email);
      const mark = a1.events.length;
      const after = (s: RecordingSocket, from: number, event: string, email: string) =>
        s.events.slice(from).filter((e) => e.event === event && e.payload.email === email);

      // Carol (gateway 1) comes online: Alice hears it; Carol sees Alice online.
      const c1 = await f.openAs(g1, carol);
      await a1.waitFor('online', (p) => p.email === carol.email);
      expect(await onlineChatsOf(c1)).toEqual({
        contacts: [alice.email],
        groups: [{ groupId: G1, persons: [alice.email] }],
      });

      // Bob's first tab (gateway 1): his contact Alice and his co-member Carol hear it.
      const b1 = await f.openAs(g1, bob);
      expect(await a1.waitFor('online', (p) => p.email === bob.email)).toEqual({
        email: bob.email,
      });
      expect(await c1.waitFor('online', (p) => p.email === bob.email)).toEqual({
        email: bob.email,
      });
      expect(await onlineChatsOf(b1)).toEqual({
        contacts: [alice.email],
        groups: [{ groupId: G1, persons: [alice.email, carol.email].sort() }],
      });

      // Bob's second tab (gateway 0): no second `online`.
      const b2 = await f.openAs(g0, bob);
      expect(await onlineChatsOf(b2)).toEqual(await onlineChatsOf(b1));
      await sleep(QUIET_MS);
      expect(after(a1, mark, 'online', bob.email)).toHaveLength(1);
      expect(c1.all('online').filter((p) => p.email === bob.email)).toHaveLength(1);

      // Closing one tab: Bob is still online.
      b1.close();
      await sleep(QUIET_MS);
      expect(after(a1, mark, 'offline', bob.email)).toHaveLength(0);
      expect(c1.all('offline')).toEqual([]);

      // A fresh connection of Alice (gateway 1) sees exactly who is online, per chat.
      const a2 = await f.openAs(g1, alice);
      expect(await onlineChatsOf(a2)).toEqual({
        contacts: [bob.email, carol.email].sort(),
        groups: sortedGroups([
          { groupId: G1, persons: [bob.email, carol.email] },
          { groupId: G2, persons: [] },
          { groupId: G3, persons: [] },
        ]),
      });
      // Alice was online already: her second tab announces nothing.
      await sleep(QUIET_MS);
      expect(c1.all('online').filter((p) => p.email === alice.email)).toEqual([]);
      expect(b2.all('online').filter((p) => p.email === alice.email)).toEqual([]);

      // Closing the last tab: `offline`, once, everywhere.
      b2.close();
      expect(await a1.waitFor('offline', (p) => p.email === bob.email)).toEqual({
        email: bob.email,
      });
      await a2.waitFor('offline', (p) => p.email === bob.email);
      await c1.waitFor('offline', (p) => p.email === bob.email);
      await sleep(QUIET_MS);
      expect(after(a1, mark, 'offline', bob.email)).toHaveLength(1);

      const a3 = await f.openAs(g0, alice);
      expect(await onlineChatsOf(a3)).toEqual({
        contacts: [carol.email],
        groups: sortedGroups([
          { groupId: G1, persons: [carol.email] },
          { groupId: G2, persons: [] },
          { groupId: G3, persons: [] },
        ]),
      });

      // Dave comes online: every tab of Alice hears it; Carol (no relation to Dave) does not.
      const d1 = await f.openAs(g1, dave);
      for (const s of [a1, a2, a3]) await s.waitFor('online', (p) => p.email === dave.email);
      expect(await onlineChatsOf(d1)).toEqual({
        contacts: [alice.email],
        groups: [{ groupId: G3, persons: [alice.email] }],
      });
      const a4 = await f.openAs(g1, alice);
      expect(await onlineChatsOf(a4)).toEqual({
        contacts: [carol.email, dave.email].sort(),
        groups: sortedGroups([
          { groupId: G1, persons: [carol.email] },
          { groupId: G2, persons: [] },
          { groupId: G3, persons: [dave.email] },
        ]),
      });
      await sleep(QUIET_MS);
      expect(c1.all('online').map((p) => p.email)).toEqual([bob.email]);
    },
    FLEET_TEST_TIMEOUT,
  );
});
