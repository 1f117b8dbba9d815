import { Client } from 'pg';
import { expectRefusal } from '../../../test/support/expect';
import { ServiceHarness, useServiceHarness } from '../../../test/support/service-module';
import { TargetHasTooManyRequestsError, TooManyPendingRequestsError } from './contacts.errors';
import { ContactsService } from './contacts.service';

describe('ContactsService with MAX_PENDING_CONTACT_REQUESTS=2', () => {
  const ctx = useServiceHarness({ MAX_PENDING_CONTACT_REQUESTS: '2' });
  let h: ServiceHarness;
  let pg: Client;
  let contacts: ContactsService;

  beforeAll(() => {
    ({ h, pg } = ctx);
    contacts = h.app.get(ContactsService);
  });

  const pending = async (column: 'requester_id' | 'addressee_id', userId: string) =>
    (
      await pg.query(`SELECT count(*)::int AS n FROM contact_requests WHERE ${column} = $1`, [
        userId,
      ])
    ).rows[0].n as number;

  it('refuses a third request sent while two wait, and takes it once one is answered', async () => {
    const [alice, bob, carol, dave] = await h.users('Alice', 'Bob', 'Carol', 'Dave');
    await contacts.sendRequest(alice, bob.email);
    await contacts.sendRequest(alice, carol.email);

    await expectRefusal(
      contacts.sendRequest(alice, dave.email),
      TooManyPendingRequestsError,
      'you have too many pending contact requests (max 2)',
    );
    expect(h.notifier.to(dave.id, 'contactRequestReceived')).toEqual([]);
    expect(await pending('requester_id', alice.id)).toBe(2);

    await contacts.declineRequest(carol, alice.email);
    await expect(contacts.sendRequest(alice, dave.email)).resolves.toMatchObject({
      contactData: { email: dave.email },
    });
  });

  it('refuses a third request to someone who has two waiting, until they answer one', async () => {
    const [target, first, second, third] = await h.users('Target', 'First', 'Second', 'Third');
    await contacts.sendRequest(first, target.email);
    await contacts.sendRequest(second, target.email);

    await expectRefusal(
      contacts.sendRequest(third, target.email),
      TargetHasTooManyRequestsError,
      'that user has too many pending contact requests (max 2)',
    );
    expect(h.notifier.to(target.id, 'contactRequestReceived')).toHaveLength(2);

    await contacts.acceptRequest(target, first.email);
    await expect(contacts.sendRequest(third, target.email)).resolves.toBeDefined();
    expect(await pending('addressee_id', target.id)).toBe(2);
  });

  it('still lets a capped user answer a request by asking back (no new request is stored)', async () => {
    const [alice, bob, carol, erin] = await h.users('Alice', 'Bob', 'Carol', 'Erin');
    await contacts.sendRequest(erin, alice.email);
    await contacts.sendRequest(alice, bob.email);
    await contacts.sendRequest(alice, carol.email);

    await expect(contacts.sendRequest(alice, erin.email)).resolves.toMatchObject({
      contactData: { email: erin.email },
    });
    expect(await contacts.isContact(alice.id, erin.id)).toBe(true);
  });

  it('never overshoots the cap when many requests race', async () => {
    const [alice, ...targets] = await h.users('Alice', 'T1', 'T2', 'T3', 'T4', 'T5', 'T6');
    const results = await Promise.allSettled(
      targets.map((target) => contacts.sendRequest(alice, target.email)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    expect(
      results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).constructor] : [])),
    ).toEqual(Array(4).fill(TooManyPendingRequestsError));
    expect(await pending('requester_id', alice.id)).toBe(2);
  });
});
