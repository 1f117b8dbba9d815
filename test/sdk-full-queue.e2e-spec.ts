import { Client } from 'pg';
import { decryptGroupMessage, encryptGroupMessage, RecipientQueueFullError } from '@app/sdk';
import { waitUntil } from './support/expect';
import { connectRecording } from './support/fleet';
import { sdkGateway, send, text } from './support/sdk-people';

/**
 * The SDK when a recipient's queue is full, against a gateway process that queues at most one
 * undelivered message per user: a 1:1 send is refused with RecipientQueueFullError, a group member
 * is skipped and told with messagesDropped, which the SDK hands to the app and acknowledges.
 */
describe('SDK against a gateway with a full queue', () => {
  const t = sdkGateway({ MAX_QUEUED_MESSAGES: '1' });
  const people = t.people;

  /** The count of group messages skipped for a user that they have not acknowledged yet. */
  async function droppedFor(email: string): Promise<number> {
    const sql = new Client({ connectionString: t.db.url });
    await sql.connect();
    try {
      const { rows } = await sql.query<{ dropped: number }>(
        'SELECT m.dropped FROM mailboxes m JOIN users u ON u.id = m.user_id WHERE u.email = $1',
        [email],
      );
      return rows[0].dropped;
    } finally {
      await sql.end();
    }
  }

  it('refuses a 1:1 message, hands messagesDropped to the app and acknowledges it', async () => {
    const { alice, bob, bobKey } = await people.contacts();
    const { groupId, groupKey } = await people.groupInviting(alice, 'Full house', {
      email: bob.email,
      key: bobKey,
    });
    await bob.client.request('acceptGroupRequest', { groupId });
    bob.client.close();

    // Bob's queue takes one message; the second group message skips him, a 1:1 one is refused.
    for (const plaintext of ['kept', 'skipped']) {
      await alice.client.request('groupChatMessage', {
        groupId,
        date: '01/12/2026',
        time: '12:00',
        messageType: 'text',
        message: await encryptGroupMessage(groupKey, plaintext),
      });
    }
    const refused = await send(alice, bob.email, bobKey, 'no room').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RecipientQueueFullError);
    expect(refused).toMatchObject({
      code: 'recipient_queue_full',
      message: 'recipient queue full',
    });

    // A client that does not acknowledge it is told again on its next connection.
    const raw = await connectRecording(t.gateway.url, bob.token, { ackMessages: false });
    await raw.waitFor('groupChatMessage');
    raw.close();
    expect([raw.all('messagesDropped'), await droppedFor(bob.email)]).toEqual([[{ count: 1 }], 1]);

    const later = people.newClient([]);
    later.useSession(bob.session);
    const told: number[] = [];
    const received: string[] = [];
    later.on('messagesDropped', ({ count }) => void told.push(count));
    later.on('groupChatMessage', async (m) => {
      received.push(text(await decryptGroupMessage(groupKey, m.message)));
    });
    await later.connect();
    await waitUntil(() => received.length === 1, 'the kept message');
    await waitUntil(async () => (await droppedFor(bob.email)) === 0, 'the count to be forgotten');
    expect([told, received]).toEqual([[1], ['kept']]);
  });
});
