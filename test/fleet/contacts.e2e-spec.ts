import { emitAck } from '../support/clients';
import { expectError, expectOk, sleep } from '../support/expect';
import {
  FLEET_TEST_TIMEOUT,
  onlineChatsOf,
  profile,
  QUIET_MS,
  useFleet,
} from '../support/fleet-suite';

/** Contact requests across a fleet of two gateway processes (one database, one Redis). */
describe('contacts across a fleet of two gateways', () => {
  const f = useFleet(2, { MAX_PENDING_CONTACT_REQUESTS: '2' });
  let g0: string;
  let g1: string;
  beforeAll(() => {
    [g0, g1] = f.urls;
  });

  // ------------------------------------------------------------------------------------------
  it(
    'contact requests are sent, accepted and declined across instances',
    async () => {
      const [alice, bob, carol, dave, erin] = await Promise.all(
        ['Alice', 'Bob', 'Carol', 'Dave', 'Erin'].map(f.register),
      );
      const a = await f.openAs(g0, alice);
      const b = await f.openAs(g1, bob);
      const c = await f.openAs(g0, carol);

      // Alice (gateway 0) asks Bob (gateway 1); both see the other's public data.
      const sent = await emitAck(a.socket, 'sendContactRequest', { email: bob.email });
      expect(sent).toEqual({ status: 'OK', contactData: profile(bob) });
      expect(await b.waitFor('contactRequestReceived', (p) => p.email === alice.email)).toEqual(
        profile(alice),
      );

      const accepted = await emitAck(b.socket, 'acceptContactRequest', { email: alice.email });
      expect(accepted).toEqual({ status: 'OK', contactData: profile(alice) });
      expect(await a.waitFor('contactRequestAccepted', (p) => p.email === bob.email)).toEqual(
        profile(bob),
      );

      // Carol (gateway 0) asks Bob, who declines: nothing is accepted, the request is gone.
      expectOk(await emitAck(c.socket, 'sendContactRequest', { email: bob.email }));
      await b.waitFor('contactRequestReceived', (p) => p.email === carol.email);
      expect(await emitAck(b.socket, 'declineContactRequest', { email: carol.email })).toEqual({
        status: 'OK',
      });
      expectError(
        await emitAck(b.socket, 'acceptContactRequest', { email: carol.email }),
        /no pending contact request/,
        'no_pending_request',
      );
      expectError(
        await emitAck(c.socket, 'contactChatMessage', {
          date: '01/01/2026',
          time: '10:00',
          messageType: 'text',
          message: 'aGk=',
          to: bob.email,
        }),
        /not a contact/,
        'not_a_contact',
      );
      // Declined, so Carol may ask again.
      expectOk(await emitAck(c.socket, 'sendContactRequest', { email: bob.email }));

      // Two users asking each other: the second request is an acceptance.
      const e = await f.openAs(g1, erin);
      expectOk(await emitAck(c.socket, 'sendContactRequest', { email: erin.email }));
      await e.waitFor('contactRequestReceived', (p) => p.email === carol.email);
      expect(await emitAck(e.socket, 'sendContactRequest', { email: carol.email })).toEqual({
        status: 'OK',
        contactData: profile(carol),
      });
      expect(await c.waitFor('contactRequestAccepted', (p) => p.email === erin.email)).toEqual(
        profile(erin),
      );
      expectError(
        await emitAck(c.socket, 'sendContactRequest', { email: erin.email }),
        /already a contact/,
        'already_contact',
      );

      // A request made while the target is offline is delivered on connect, after onlineChats.
      expect(await emitAck(a.socket, 'sendContactRequest', { email: dave.email })).toEqual({
        status: 'OK',
        contactData: profile(dave),
      });
      const d = await f.openAs(g1, dave);
      const received = await d.waitFor('contactRequestReceived');
      expect(received).toEqual(profile(alice));
      expect(d.events[0].event).toBe('onlineChats');
      expect(d.events[0].payload).toEqual({ contacts: [], groups: [] });
      expect(d.all('contactRequestReceived')).toHaveLength(1);
      expectOk(await emitAck(d.socket, 'acceptContactRequest', { email: alice.email }));
      expect(await a.waitFor('contactRequestAccepted', (p) => p.email === dave.email)).toEqual(
        profile(dave),
      );
      // Accepted requests are not replayed on the next connection.
      const d2 = await f.openAs(g0, dave);
      expect(await onlineChatsOf(d2)).toEqual({ contacts: [alice.email], groups: [] });
      await sleep(QUIET_MS);
      expect(d2.all('contactRequestReceived')).toEqual([]);

      // removeContact: the other side is told, and they are no longer contacts.
      expect(await emitAck(a.socket, 'removeContact', { email: dave.email })).toEqual({
        status: 'OK',
      });
      expect(await d.waitFor('contactRemoved')).toEqual({ email: alice.email });
      expect(await d2.waitFor('contactRemoved')).toEqual({ email: alice.email });
      expectError(
        await emitAck(d.socket, 'removeContact', { email: alice.email }),
        /not a contact/,
        'not_a_contact',
      );
    },
    FLEET_TEST_TIMEOUT,
  );

  it(
    'refuses a third pending request, sent or received, with the cap in the message',
    async () => {
      const [alice, bob, carol, dave, erin] = await Promise.all(
        ['Alice', 'Bob', 'Carol', 'Dave', 'Erin'].map(f.register),
      );
      const a = await f.plainAs(g0, alice);
      expectOk(await emitAck(a, 'sendContactRequest', { email: bob.email }));
      expectOk(await emitAck(a, 'sendContactRequest', { email: carol.email }));
      expectError(
        await emitAck(a, 'sendContactRequest', { email: dave.email }),
        /^you have too many pending contact requests \(max 2\)$/,
        'too_many_pending_requests',
      );
      const e = await f.plainAs(g1, erin);
      const d = await f.plainAs(g1, dave);
      expectOk(await emitAck(e, 'sendContactRequest', { email: bob.email }));
      expectError(
        await emitAck(d, 'sendContactRequest', { email: bob.email }),
        /^that user has too many pending contact requests \(max 2\)$/,
        'target_has_too_many_requests',
      );
      expect(a.connected && d.connected).toBe(true);
    },
    FLEET_TEST_TIMEOUT,
  );
});
