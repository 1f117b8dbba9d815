import { Client } from 'pg';
import { expectRefusal, sleep } from '../../../test/support/expect';
import { ServiceHarness, useServiceHarness } from '../../../test/support/service-module';
import {
  AlreadyContactError,
  CannotAddSelfError,
  NoPendingRequestError,
  NotAContactError,
  RequestAlreadyPendingError,
  UserNotFoundError,
} from './contacts.errors';
import { ContactsService } from './contacts.service';

type User = Awaited<ReturnType<ServiceHarness['user']>>;

const profile = (u: User) => ({ name: u.name, email: u.email, publicKey: u.publicKey });

describe('ContactsService', () => {
  const ctx = useServiceHarness();
  let h: ServiceHarness;
  let pg: Client;
  let contacts: ContactsService;

  beforeAll(() => {
    ({ h, pg } = ctx);
    contacts = h.app.get(ContactsService);
  });

  async function pendingRequests(requester: User, addressee: User): Promise<number> {
    const { rows } = await pg.query(
      'SELECT count(*)::int AS n FROM contact_requests WHERE requester_id = $1 AND addressee_id = $2',
      [requester.id, addressee.id],
    );
    return rows[0].n;
  }

  async function contactRows(a: User, b: User): Promise<number> {
    const { rows } = await pg.query(
      `SELECT count(*)::int AS n FROM contacts
        WHERE (user_id = $1 AND contact_id = $2) OR (user_id = $2 AND contact_id = $1)`,
      [a.id, b.id],
    );
    return rows[0].n;
  }

  describe('sendRequest', () => {
    it("returns the target's public data and notifies the target with the sender's", async () => {
      const [alice, bob] = await h.users('Alice', 'Bob');

      await expect(contacts.sendRequest(alice, bob.email)).resolves.toEqual({
        contactData: profile(bob),
      });

      expect(h.notifier.to(bob.id, 'contactRequestReceived')).toEqual([profile(alice)]);
      expect(h.notifier.to(alice.id, 'contactRequestReceived')).toEqual([]);
      expect(await pendingRequests(alice, bob)).toBe(1);
      expect(await contacts.isContact(alice.id, bob.id)).toBe(false);
    });

    it('refuses an unknown email', async () => {
      const [alice] = await h.users('Alice');
      const attempt = contacts.sendRequest(alice, 'nobody.here@example.com');
      await expectRefusal(attempt, UserNotFoundError, 'no user with that email');
    });

    it('refuses oneself', async () => {
      const [alice] = await h.users('Alice');
      const attempt = contacts.sendRequest(alice, alice.email);
      await expectRefusal(attempt, CannotAddSelfError, 'you cannot add yourself as a contact');
    });

    it('refuses an existing contact', async () => {
      const [alice, bob] = await h.users('Alice', 'Bob');
      await h.makeContacts(alice, bob);

      for (const [from, to] of [
        [alice, bob],
        [bob, alice],
      ]) {
        const attempt = contacts.sendRequest(from, to.email);
        await expectRefusal(attempt, AlreadyContactError, 'already a contact');
      }
    });

    it('refuses a request that is already pending, without notifying again', async () => {
      const [alice, bob] = await h.users('Alice', 'Bob');
      await contacts.sendRequest(alice, bob.email);

      const attempt = contacts.sendRequest(alice, bob.email);
      await expectRefusal(attempt, RequestAlreadyPendingError, 'contact request already pending');
      expect(h.notifier.to(bob.id, 'contactRequestReceived')).toHaveLength(1);
      expect(await pendingRequests(alice, bob)).toBe(1);
    });

    it('treats a request to someone who had already asked as acceptance', async () => {
      const [alice, bob] = await h.users('Alice', 'Bob');
      await contacts.sendRequest(bob, alice.email);

      await expect(contacts.sendRequest(alice, bob.email)).resolves.toEqual({
        contactData: profile(bob),
      });

      expect(await contacts.isContact(alice.id, bob.id)).toBe(true);
      expect(await contacts.isContact(bob.id, alice.id)).toBe(true);
      expect(h.notifier.to(bob.id, 'contactRequestAccepted')).toEqual([profile(alice)]);
      expect(h.notifier.to(bob.id, 'contactRequestReceived')).toEqual([]);
      expect(await pendingRequests(bob, alice)).toBe(0);
      expect(await pendingRequests(alice, bob)).toBe(0);
      expect(await contacts.pendingRequestsFor(alice.id)).toEqual([]);
    });
  });

  describe('sendRequest, crossing (both ask each other at the same moment)', () => {
    it('never leaves both requests pending: one of them counts as the acceptance', async () => {
      // Several pairs at once, so that the requests really cross.
      const pairs = await Promise.all(Array.from({ length: 5 }, () => h.users('Alice', 'Bob')));

      await Promise.all(
        pairs.flatMap(([alice, bob]) => [
          contacts.sendRequest(alice, bob.email),
          contacts.sendRequest(bob, alice.email),
        ]),
      );

      for (const [alice, bob] of pairs) {
        const outcome = {
          contacts: await contacts.isContact(alice.id, bob.id),
          pending: (await pendingRequests(alice, bob)) + (await pendingRequests(bob, alice)),
        };
        expect(outcome).toEqual({ contacts: true, pending: 0 });
      }
    });
  });

  describe('acceptRequest', () => {
    it('makes both users contacts, returns the requester and notifies them', async () => {
      const [alice, bob] = await h.users('Alice', 'Bob');
      await contacts.sendRequest(alice, bob.email);

      await expect(contacts.acceptRequest(bob, alice.email)).resolves.toEqual({
        contactData: profile(alice),
      });

      expect(h.notifier.to(alice.id, 'contactRequestAccepted')).toEqual([profile(bob)]);
      expect(await contacts.isContact(alice.id, bob.id)).toBe(true);
      expect(await contacts.isContact(bob.id, alice.id)).toBe(true);
      expect(await contactRows(alice, bob)).toBe(2);
      expect(await pendingRequests(alice, bob)).toBe(0);
    });

    it('refuses accepting twice', async () => {
      const [alice, bob] = await h.users('Alice', 'Bob');
      await contacts.sendRequest(alice, bob.email);
      await contacts.acceptRequest(bob, alice.email);

      const attempt = contacts.acceptRequest(bob, alice.email);
      await expectRefusal(
        attempt,
        NoPendingRequestError,
        'no pending contact request from that email',
      );
      expect(h.notifier.to(alice.id, 'contactRequestAccepted')).toHaveLength(1);
      expect(await contactRows(alice, bob)).toBe(2);
    });

    it('refuses a request that was never made (nor accepting one\u2019s own request)', async () => {
      const [alice, bob] = await h.users('Alice', 'Bob');

      const never = contacts.acceptRequest(bob, alice.email);
      await expectRefusal(
        never,
        NoPendingRequestError,
        'no pending contact request from that email',
      );

      await contacts.sendRequest(alice, bob.email);
      const ownRequest = contacts.acceptRequest(alice, bob.email);
      await expectRefusal(
        ownRequest,
        NoPendingRequestError,
        'no pending contact request from that email',
      );

      const unknown = contacts.acceptRequest(bob, 'nobody.here@example.com');
      await expectRefusal(
        unknown,
        NoPendingRequestError,
        'no pending contact request from that email',
      );
      expect(await contacts.isContact(alice.id, bob.id)).toBe(false);
    });
  });

  describe('declineRequest', () => {
    it('removes the request without making contacts; declining again is refused', async () => {
      const [alice, bob] = await h.users('Alice', 'Bob');
      await contacts.sendRequest(alice, bob.email);

      await expect(contacts.declineRequest(bob, alice.email)).resolves.toBeUndefined();

      expect(await pendingRequests(alice, bob)).toBe(0);
      expect(await contactRows(alice, bob)).toBe(0);
      expect(await contacts.pendingRequestsFor(bob.id)).toEqual([]);
      expect(h.notifier.to(alice.id, 'contactRequestAccepted')).toEqual([]);

      const again = contacts.declineRequest(bob, alice.email);
      await expectRefusal(
        again,
        NoPendingRequestError,
        'no pending contact request from that email',
      );

      // After a decline, the requester may ask again.
      await expect(contacts.sendRequest(alice, bob.email)).resolves.toEqual({
        contactData: profile(bob),
      });
    });

    it('refuses declining a request from an unknown email', async () => {
      const [bob] = await h.users('Bob');
      await expectRefusal(
        contacts.declineRequest(bob, 'nobody.here@example.com'),
        NoPendingRequestError,
        'no pending contact request from that email',
      );
    });
  });

  describe('removeContact', () => {
    it('removes the contact in both directions and tells the other side', async () => {
      const [alice, bob] = await h.users('Alice', 'Bob');
      await h.makeContacts(alice, bob);

      await expect(contacts.removeContact(alice, bob.email)).resolves.toBeUndefined();

      expect(await contactRows(alice, bob)).toBe(0);
      expect(await contacts.isContact(alice.id, bob.id)).toBe(false);
      expect(await contacts.isContact(bob.id, alice.id)).toBe(false);
      expect(h.notifier.to(bob.id, 'contactRemoved')).toEqual([{ email: alice.email }]);
      expect(h.notifier.to(alice.id, 'contactRemoved')).toEqual([]);
    });

    it('refuses removing someone who is not a contact (or no longer one, or unknown)', async () => {
      const [alice, bob, carol] = await h.users('Alice', 'Bob', 'Carol');
      await h.makeContacts(alice, bob);
      await contacts.sendRequest(alice, carol.email); // pending only

      for (const email of [carol.email, 'nobody.here@example.com']) {
        const attempt = contacts.removeContact(alice, email);
        await expectRefusal(attempt, NotAContactError, 'not a contact');
      }

      await contacts.removeContact(bob, alice.email);
      await expectRefusal(
        contacts.removeContact(alice, bob.email),
        NotAContactError,
        'not a contact',
      );
      expect(h.notifier.to(carol.id, 'contactRemoved')).toEqual([]);
      expect(h.notifier.to(bob.id, 'contactRemoved')).toEqual([]);
      expect(h.notifier.to(alice.id, 'contactRemoved')).toEqual([{ email: bob.email }]);
    });
  });

  describe('pendingRequestsFor', () => {
    it("lists the requesters' profiles, oldest request first, and only unanswered ones", async () => {
      const [target, declined, asked, ...requesters] = await h.users(
        'Target',
        'Declined',
        'Asked',
        'First',
        'Second',
        'Third',
      );
      for (const requester of requesters) {
        await contacts.sendRequest(requester, target.email);
        await sleep(5); // created_at has millisecond precision
      }
      await contacts.sendRequest(declined, target.email);
      await contacts.declineRequest(target, declined.email);
      // A request the target sent is not waiting for the target's answer.
      await contacts.sendRequest(target, asked.email);

      expect(await contacts.pendingRequestsFor(target.id)).toEqual(requesters.map(profile));
      expect(await contacts.pendingRequestsFor(asked.id)).toEqual([profile(target)]);
    });
  });

  describe('contactByEmail', () => {
    it('resolves an accepted contact and refuses anyone else', async () => {
      const [alice, bob, carol] = await h.users('Alice', 'Bob', 'Carol');
      await h.makeContacts(alice, bob);
      await contacts.sendRequest(alice, carol.email);

      await expect(contacts.contactByEmail(alice, bob.email)).resolves.toMatchObject({
        id: bob.id,
        email: bob.email,
        name: bob.name,
        publicKey: bob.publicKey,
      });

      for (const email of [carol.email, 'nobody.here@example.com', alice.email]) {
        const attempt = contacts.contactByEmail(alice, email);
        await expectRefusal(attempt, NotAContactError, 'recipient is not a contact');
      }
      await expectRefusal(
        contacts.contactByEmail(carol, alice.email),
        NotAContactError,
        'recipient is not a contact',
      );
    });
  });
});
