import { Client } from 'pg';
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from '@app/common';
import { ContactsService } from '@app/contacts';
import { GroupsService } from '@app/groups';
import { createTestDatabase, TestDatabase } from '../../../test/support/database';
import { expectRefusal, waitUntil } from '../../../test/support/expect';
import { createServiceHarness, ServiceHarness } from '../../../test/support/service-module';
import { DeliveryService, SendReceipt } from './delivery.service';
import { ContactChatMessageDto, GroupChatMessageDto } from './dto/messages.dto';
import { MailboxPump } from './mailbox-pump';

type User = Awaited<ReturnType<ServiceHarness['user']>>;
type Delivered = { event: string; payload: Record<string, unknown> };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PAYLOAD_KEYS = ['date', 'from', 'id', 'message', 'messageType', 'sentAt', 'time'];
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * One service harness on one database, with the helpers every block below uses: users, contacts,
 * groups, sending, fake sockets ("inboxes") and reads of the delivery tables.
 */
function deliveryWorld(env: Record<string, string> = {}) {
  const w = {} as {
    db: TestDatabase;
    h: ServiceHarness;
    pg: Client;
    delivery: DeliveryService;
    contacts: ContactsService;
    groups: GroupsService;
  };
  const attached: (() => void)[] = [];

  beforeAll(async () => {
    w.db = await createTestDatabase();
    w.h = await createServiceHarness(w.db.url, env);
    w.delivery = w.h.app.get(DeliveryService);
    w.contacts = w.h.app.get(ContactsService);
    w.groups = w.h.app.get(GroupsService);
    w.pg = new Client({ connectionString: w.db.url });
    await w.pg.connect();
  });

  afterEach(() => attached.splice(0).forEach((detach) => detach()));

  afterAll(async () => {
    await w.delivery.stop(); // flushes acknowledgements, stops the purge timer
    await w.pg.end();
    await w.h.close();
    await w.db.drop();
  });

  // The harness's helpers, reachable before beforeAll has made the harness.
  const users = (...names: string[]) => w.h.users(...names);
  const makeContacts = (a: User, ...others: User[]) => w.h.makeContacts(a, ...others);
  const groupOf = (admin: User, ...members: User[]) => w.h.groupOf(admin, ...members);
  const join = (admin: User, groupId: string, member: User) => w.h.join(admin, groupId, member);

  const chat = (fields: Partial<ContactChatMessageDto> = {}) => ({
    messageType: 'text',
    message: 'Y2lwaGVydGV4dA==',
    date: '01/02/2026',
    time: '12:34',
    ...fields,
  });

  const send = (from: User, to: User | string, fields: Partial<ContactChatMessageDto> = {}) =>
    w.delivery.sendToContact(from, {
      to: typeof to === 'string' ? to : to.email,
      ...chat(fields),
    } as ContactChatMessageDto);

  const sendToGroup = (from: User, groupId: string, fields: Partial<GroupChatMessageDto> = {}) =>
    w.delivery.sendToGroup(from, { groupId, ...chat(fields) } as GroupChatMessageDto);

  /**
   * A fake socket of `user`: records what is delivered and acknowledges it when `ack` says so.
   * Detached after each test.
   */
  function inbox(
    user: User,
    ack: boolean | ((payload: Record<string, unknown>) => boolean) = true,
  ) {
    const got: Delivered[] = [];
    const pump: MailboxPump = w.delivery.attach({
      userId: user.id,
      send: (event, payload, onAck) => {
        got.push({ event, payload: payload as Record<string, unknown> });
        if (ack === true || (typeof ack === 'function' && ack(payload as Record<string, unknown>)))
          onAck();
      },
    });
    const detach = () => w.delivery.detach(user.id, pump);
    attached.push(detach);
    return {
      got,
      detach,
      ids: () => got.map((d) => d.payload.id as string),
      bodies: () => got.map((d) => d.payload.message as string),
      waitFor: (count: number) =>
        waitUntil(() => got.length >= count, `${user.name} got ${count} message(s)`),
    };
  }

  const query = async <T = Record<string, unknown>>(sql: string, params: unknown[] = []) =>
    (await w.pg.query(sql, params)).rows as T[];

  const messageRow = async (id: string) =>
    (
      await query(
        `SELECT sender_id::text, group_id, client_message_id, message_type::text, body, date, time,
                sent_at, pending
           FROM messages WHERE id = $1`,
        [id],
      )
    )[0];

  const deliveriesOf = (user: User) =>
    query<{ seq: number; message_id: string }>(
      'SELECT seq::int, message_id::text FROM deliveries WHERE recipient_id = $1 ORDER BY seq',
      [user.id],
    );

  const mailbox = async (user: User) =>
    (
      await query<{ pending: number; last_seq: number }>(
        'SELECT pending, last_seq::int FROM mailboxes WHERE user_id = $1',
        [user.id],
      )
    )[0];

  const sentBy = async (user: User) =>
    (
      await query<{ n: number }>('SELECT count(*)::int AS n FROM messages WHERE sender_id = $1', [
        user.id,
      ])
    )[0].n;

  return {
    w,
    users,
    makeContacts,
    groupOf,
    join,
    send,
    sendToGroup,
    inbox,
    query,
    messageRow,
    deliveriesOf,
    mailbox,
    sentBy,
  };
}

describe('DeliveryService', () => {
  const world = deliveryWorld();
  const { w, users, makeContacts, groupOf, join, send, sendToGroup, inbox } = world;
  const { query, messageRow, deliveriesOf, mailbox, sentBy } = world;

  describe('1:1 messages', () => {
    it('refuses a recipient who is not an accepted contact, and stores nothing', async () => {
      const [alice, bob, carol] = await users('Alice', 'Bob', 'Carol');
      await w.contacts.sendRequest(alice, carol.email); // only requested

      for (const to of [bob.email, carol.email, 'nobody@example.com']) {
        await expectRefusal(send(alice, to), NotFoundError, 'recipient is not a contact');
      }
      expect(await sentBy(alice)).toBe(0);
      expect(await mailbox(bob)).toEqual({ pending: 0, last_seq: 0 });
    });

    it('stores the message in the recipient queue before answering with a receipt', async () => {
      const [alice, bob] = await users('Alice', 'Bob');
      await makeContacts(alice, bob);

      const receipt = await send(alice, bob, {
        message: 'Ym9keQ==',
        messageType: { kind: 'text' },
        clientMessageId: 'client-1',
      });

      expect(Object.keys(receipt).sort()).toEqual(['id', 'sentAt']);
      expect(receipt.id).toMatch(UUID);
      expect(new Date(receipt.sentAt).toISOString()).toBe(receipt.sentAt);
      expect(await messageRow(receipt.id)).toEqual({
        sender_id: alice.id,
        group_id: null,
        client_message_id: 'client-1',
        message_type: '{"kind":"text"}',
        body: 'Ym9keQ==',
        date: '01/02/2026',
        time: '12:34',
        sent_at: new Date(receipt.sentAt),
        pending: 1,
      });
      expect(await deliveriesOf(bob)).toEqual([{ seq: 1, message_id: receipt.id }]);
      expect(await mailbox(bob)).toEqual({ pending: 1, last_seq: 1 });
      expect(await mailbox(alice)).toEqual({ pending: 0, last_seq: 0 });
    });

    it('delivers exactly {id, messageType, message, date, time, from, sentAt}, messageType verbatim', async () => {
      const [alice, bob] = await users('Alice', 'Bob');
      await makeContacts(alice, bob);
      const types: unknown[] = [{ z: 1, a: [1, { b: null }] }, 'image/png', null];
      const sendAll = async () => {
        const receipts: SendReceipt[] = [];
        for (const [i, messageType] of types.entries()) {
          receipts.push(
            await send(alice, bob, { messageType, message: `bXNn${i}`, time: `0${i}:00` }),
          );
        }
        return receipts;
      };
      const expected = (receipts: SendReceipt[]) =>
        receipts.map((receipt, i) => ({
          event: 'contactChatMessage',
          payload: {
            id: receipt.id,
            messageType: types[i],
            message: `bXNn${i}`,
            date: '01/02/2026',
            time: `0${i}:00`,
            from: alice.email,
            sentAt: receipt.sentAt,
          },
        }));

      // Stored while Bob is away, then read back from PostgreSQL.
      const queued = await sendAll();
      const first = inbox(bob, false);
      await first.waitFor(3);
      expect(first.got).toStrictEqual(expected(queued));
      first.detach();

      // Live, straight from the notice.
      const live = inbox(bob);
      await live.waitFor(3); // the three unacknowledged ones again
      const sentLive = await sendAll();
      await live.waitFor(6);
      expect(live.got.slice(3)).toStrictEqual(expected(sentLive));

      for (const { payload } of [...first.got, ...live.got]) {
        expect(Object.keys(payload).sort()).toEqual(PAYLOAD_KEYS);
      }
      // Key order survives the round trip through the database (json, not jsonb).
      expect(JSON.stringify(first.got[0].payload.messageType)).toBe('{"z":1,"a":[1,{"b":null}]}');
      expect(JSON.stringify(live.got[3].payload.messageType)).toBe('{"z":1,"a":[1,{"b":null}]}');
    });

    it('answers a resend with the same clientMessageId with the first receipt and stores nothing new', async () => {
      const [alice, bob, carol] = await users('Alice', 'Bob', 'Carol');
      await makeContacts(bob, alice, carol);
      const bobsInbox = inbox(bob, false);

      const first = await send(alice, bob, { clientMessageId: 'same', message: 'Zmlyc3Q=' });
      const again = await send(alice, bob, { clientMessageId: 'same', message: 'Zmlyc3Q=' });
      const changed = await send(alice, bob, { clientMessageId: 'same', message: 'b3RoZXI=' });

      expect(again).toEqual(first);
      expect(changed).toEqual(first);
      expect(await sentBy(alice)).toBe(1);
      expect((await messageRow(first.id)).body).toBe('Zmlyc3Q=');
      expect(await deliveriesOf(bob)).toEqual([{ seq: 1, message_id: first.id }]);
      expect(await mailbox(bob)).toEqual({ pending: 1, last_seq: 1 });

      // Another sender's key space is independent.
      const carols = await send(carol, bob, { clientMessageId: 'same', message: 'Y2Fyb2w=' });
      expect(carols.id).not.toBe(first.id);
      expect(await sentBy(carol)).toBe(1);
      expect(await deliveriesOf(bob)).toEqual([
        { seq: 1, message_id: first.id },
        { seq: 2, message_id: carols.id },
      ]);

      // Without a clientMessageId, every send is a new message.
      await send(alice, bob);
      await send(alice, bob);
      expect(await sentBy(alice)).toBe(3);

      await bobsInbox.waitFor(4);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(bobsInbox.bodies()).toEqual([
        'Zmlyc3Q=',
        'Y2Fyb2w=',
        'Y2lwaGVydGV4dA==',
        'Y2lwaGVydGV4dA==',
      ]);
    });

    it('stores a message once when resends with the same clientMessageId race each other', async () => {
      const [alice, bob] = await users('Alice', 'Bob');
      await makeContacts(alice, bob);

      const receipts = await Promise.all(
        Array.from({ length: 5 }, () => send(alice, bob, { clientMessageId: 'double-click' })),
      );

      expect(new Set(receipts.map((r) => JSON.stringify(r))).size).toBe(1);
      expect(await sentBy(alice)).toBe(1);
      expect(await deliveriesOf(bob)).toEqual([{ seq: 1, message_id: receipts[0].id }]);
      expect(await mailbox(bob)).toEqual({ pending: 1, last_seq: 1 });
    });

    it('delivers 20 messages sent one after another in the order they were sent', async () => {
      const [alice, bob] = await users('Alice', 'Bob');
      await makeContacts(alice, bob);
      const bobsInbox = inbox(bob);
      const bodies = Array.from({ length: 20 }, (_, i) => `bXNn${i}`);

      for (const message of bodies) await send(alice, bob, { message });

      await bobsInbox.waitFor(20);
      expect(bobsInbox.bodies()).toEqual(bodies);
    });

    it('delivers every concurrent send from two senders once, in seq order and each sender’s order', async () => {
      const [alice, carol, bob] = await users('Alice', 'Carol', 'Bob');
      await makeContacts(bob, alice, carol);
      const bobsInbox = inbox(bob, false);
      const count = 20;
      // Each sender sends one message after another; the two senders run concurrently.
      const sendMany = async (from: User, tag: string) => {
        for (let i = 0; i < count; i++) await send(from, bob, { message: `${tag}${i}` });
      };

      await Promise.all([sendMany(alice, 'a'), sendMany(carol, 'c')]);

      await bobsInbox.waitFor(2 * count);
      await new Promise((resolve) => setTimeout(resolve, 50)); // nothing more arrives
      const bodies = bobsInbox.bodies();
      expect(bodies).toHaveLength(2 * count);
      expect(bodies.filter((b) => b.startsWith('a'))).toEqual(
        Array.from({ length: count }, (_, i) => `a${i}`),
      );
      expect(bodies.filter((b) => b.startsWith('c'))).toEqual(
        Array.from({ length: count }, (_, i) => `c${i}`),
      );
      const queue = await deliveriesOf(bob);
      expect(queue.map((d) => d.seq)).toEqual(Array.from({ length: 2 * count }, (_, i) => i + 1));
      expect(bobsInbox.ids()).toEqual(queue.map((d) => d.message_id));
    });

    it('delivers 40 sends fired all at once by two senders exactly once each, in seq order', async () => {
      const [alice, carol, bob] = await users('Alice', 'Carol', 'Bob');
      await makeContacts(bob, alice, carol);
      const bobsInbox = inbox(bob, false);

      const receipts = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          send(i % 2 ? carol : alice, bob, { message: `m${i}` }),
        ),
      );

      await bobsInbox.waitFor(40);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(bobsInbox.ids()).toHaveLength(40);
      expect(new Set(bobsInbox.ids())).toEqual(new Set(receipts.map((r) => r.id)));
      const queue = await deliveriesOf(bob);
      expect(queue.map((d) => d.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      expect(bobsInbox.ids()).toEqual(queue.map((d) => d.message_id));
      expect(await mailbox(bob)).toEqual({ pending: 40, last_seq: 40 });
    });

    it('on acknowledgement drops the delivery, the pending count and the ciphertext', async () => {
      const [alice, bob] = await users('Alice', 'Bob');
      await makeContacts(alice, bob);
      const bobsInbox = inbox(bob);

      const receipt = await send(alice, bob, { clientMessageId: 'acked', messageType: { a: 1 } });
      await bobsInbox.waitFor(1);
      await waitUntil(async () => (await deliveriesOf(bob)).length === 0, 'the ack is written');

      expect(await mailbox(bob)).toEqual({ pending: 0, last_seq: 1 });
      expect(await messageRow(receipt.id)).toMatchObject({
        body: null,
        message_type: null,
        pending: 0,
      });
      // The row stays for idempotent resends.
      expect(await send(alice, bob, { clientMessageId: 'acked' })).toEqual(receipt);
      expect(await deliveriesOf(bob)).toEqual([]);
    });

    it('delivers unacknowledged messages again to the next socket, acknowledged ones not', async () => {
      const [alice, bob] = await users('Alice', 'Bob');
      await makeContacts(alice, bob);
      const [m1, m2, m3] = [
        await send(alice, bob, { message: 'b25l' }),
        await send(alice, bob, { message: 'dHdv' }),
        await send(alice, bob, { message: 'dGhyZWU=' }),
      ];

      const firstSocket = inbox(bob, (payload) => payload.id === m2.id);
      await firstSocket.waitFor(3);
      await waitUntil(async () => (await deliveriesOf(bob)).length === 2, 'the ack is written');
      firstSocket.detach();

      const nextSocket = inbox(bob, false);
      await nextSocket.waitFor(2);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(firstSocket.ids()).toEqual([m1.id, m2.id, m3.id]);
      expect(nextSocket.ids()).toEqual([m1.id, m3.id]);
      expect(await messageRow(m2.id)).toMatchObject({ body: null, pending: 0 });
      expect(await messageRow(m1.id)).toMatchObject({ body: 'b25l', pending: 1 });
    });

    it('gives a socket attached mid-stream the older messages first, then the live ones', async () => {
      const [alice, bob] = await users('Alice', 'Bob');
      await makeContacts(alice, bob);
      for (const message of ['old0', 'old1', 'old2']) await send(alice, bob, { message });

      const bobsInbox = inbox(bob);
      for (const message of ['new0', 'new1', 'new2']) await send(alice, bob, { message });

      await bobsInbox.waitFor(6);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(bobsInbox.bodies()).toEqual(['old0', 'old1', 'old2', 'new0', 'new1', 'new2']);
    });

    it('refuses a message over MAX_MESSAGE_BYTES (bytes, not characters) and stores nothing', async () => {
      const [alice, bob] = await users('Alice', 'Bob');
      await makeContacts(alice, bob);
      expect(w.h.config.MAX_MESSAGE_BYTES).toBe(65536);

      for (const message of ['x'.repeat(65537), 'é'.repeat(32769)]) {
        await expectRefusal(
          send(alice, bob, { message }),
          InvalidInputError,
          'message must be at most 65536 bytes',
        );
      }
      expect(await sentBy(alice)).toBe(0);
      expect(await mailbox(bob)).toEqual({ pending: 0, last_seq: 0 });

      const atLimit = await send(alice, bob, { message: 'x'.repeat(65536) });
      expect((await messageRow(atLimit.id)).body).toHaveLength(65536);
    });
  });

  describe('group messages', () => {
    it('refuses a sender who is not a member, and stores nothing', async () => {
      const [alice, bob, mallory] = await users('Alice', 'Bob', 'Mallory');
      const groupId = await groupOf(alice, bob);

      await expectRefusal(
        sendToGroup(mallory, groupId),
        ForbiddenError,
        'you are not a member of that group',
      );
      expect(await sentBy(mallory)).toBe(0);
      expect(await deliveriesOf(bob)).toEqual([]);
    });

    it('stores one message with one delivery per other member; the sender gets nothing', async () => {
      const [alice, bob, carol] = await users('Alice', 'Bob', 'Carol');
      const groupId = await groupOf(alice, bob, carol);
      const inboxes = [inbox(alice), inbox(bob, false), inbox(carol, false)];

      const receipt = await sendToGroup(alice, groupId, { messageType: 'text' });

      expect(receipt.id).toMatch(UUID);
      expect(await sentBy(alice)).toBe(1);
      expect(await messageRow(receipt.id)).toMatchObject({ group_id: groupId, pending: 2 });
      expect(await deliveriesOf(bob)).toEqual([{ seq: 1, message_id: receipt.id }]);
      expect(await deliveriesOf(carol)).toEqual([{ seq: 1, message_id: receipt.id }]);
      expect(await deliveriesOf(alice)).toEqual([]);

      await inboxes[1].waitFor(1);
      await inboxes[2].waitFor(1);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const delivered = {
        event: 'groupChatMessage',
        payload: {
          groupId,
          id: receipt.id,
          messageType: 'text',
          message: 'Y2lwaGVydGV4dA==',
          date: '01/02/2026',
          time: '12:34',
          from: alice.email,
          sentAt: receipt.sentAt,
        },
      };
      expect(inboxes[1].got).toStrictEqual([delivered]);
      expect(inboxes[2].got).toStrictEqual([delivered]);
      expect(inboxes[0].got).toEqual([]);
    });

    it('clears the ciphertext only once the last member has acknowledged', async () => {
      const [alice, bob, carol] = await users('Alice', 'Bob', 'Carol');
      const groupId = await groupOf(alice, bob, carol);
      const receipt = await sendToGroup(alice, groupId, { messageType: { kind: 'text' } });

      const bobsInbox = inbox(bob);
      await bobsInbox.waitFor(1);
      await waitUntil(async () => (await deliveriesOf(bob)).length === 0, "Bob's ack is written");
      expect(await messageRow(receipt.id)).toMatchObject({
        body: 'Y2lwaGVydGV4dA==',
        message_type: '{"kind":"text"}',
        pending: 1,
      });
      expect(await mailbox(bob)).toEqual({ pending: 0, last_seq: 1 });

      const carolsInbox = inbox(carol);
      await carolsInbox.waitFor(1);
      await waitUntil(
        async () => (await deliveriesOf(carol)).length === 0,
        "Carol's ack is written",
      );
      expect(await messageRow(receipt.id)).toMatchObject({
        body: null,
        message_type: null,
        pending: 0,
      });
      expect(await mailbox(carol)).toEqual({ pending: 0, last_seq: 1 });
    });

    it('delivers to the members at the time of sending: not to later joiners, not after leaving', async () => {
      const [alice, bob, carol, dave] = await users('Alice', 'Bob', 'Carol', 'Dave');
      const groupId = await groupOf(alice, bob, carol);

      const before = await sendToGroup(alice, groupId, { message: 'YmVmb3Jl' });
      await join(alice, groupId, dave);
      await w.groups.leave(carol, groupId);
      const after = await sendToGroup(bob, groupId, { message: 'YWZ0ZXI=' });

      expect(await deliveriesOf(dave)).toEqual([{ seq: 1, message_id: after.id }]);
      expect(await deliveriesOf(carol)).toEqual([{ seq: 1, message_id: before.id }]);
      expect(await deliveriesOf(alice)).toEqual([{ seq: 1, message_id: after.id }]);
      expect(await deliveriesOf(bob)).toEqual([{ seq: 1, message_id: before.id }]);
      expect(await messageRow(after.id)).toMatchObject({ pending: 2 });

      const davesInbox = inbox(dave);
      const carolsInbox = inbox(carol);
      await davesInbox.waitFor(1);
      await carolsInbox.waitFor(1);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(davesInbox.bodies()).toEqual(['YWZ0ZXI=']);
      expect(carolsInbox.bodies()).toEqual(['YmVmb3Jl']);
    });

    it('answers a member alone in the group with a receipt, queuing and keeping no ciphertext', async () => {
      const [alice] = await users('Alice');
      const groupId = await groupOf(alice);

      const receipt = await sendToGroup(alice, groupId, { clientMessageId: 'alone' });

      expect(receipt.id).toMatch(UUID);
      expect(new Date(receipt.sentAt).toISOString()).toBe(receipt.sentAt);
      expect(await deliveriesOf(alice)).toEqual([]);
      const kept = await query(
        'SELECT count(*)::int AS n FROM messages WHERE sender_id = $1 AND body IS NOT NULL',
        [alice.id],
      );
      expect(kept).toEqual([{ n: 0 }]);
    });
  });

  // Last: purging with a clock 31 days ahead empties this database's queues.
  describe('purgeExpired', () => {
    it('deletes nothing younger than MESSAGE_RETENTION_DAYS, and everything older', async () => {
      const [alice, bob, carol] = await users('Alice', 'Bob', 'Carol');
      const groupId = await groupOf(alice, bob, carol); // also makes Alice and Bob contacts
      await send(alice, bob);
      await sendToGroup(alice, groupId);
      const totals = async () =>
        (
          await query<{ messages: number; deliveries: number; pending: number }>(
            `SELECT (SELECT count(*) FROM messages)::int AS messages,
                    (SELECT count(*) FROM deliveries)::int AS deliveries,
                    (SELECT coalesce(sum(pending), 0) FROM mailboxes)::int AS pending`,
          )
        )[0];
      const before = await totals();
      expect(before.deliveries).toBeGreaterThanOrEqual(3);
      expect(before.pending).toBe(before.deliveries);

      expect(w.h.config.MESSAGE_RETENTION_DAYS).toBe(30);
      expect(await w.delivery.purgeExpired(new Date())).toBe(0);
      expect(await totals()).toEqual(before);

      expect(await w.delivery.purgeExpired(new Date(Date.now() + 31 * DAY_MS))).toBe(
        before.messages,
      );
      expect(await totals()).toEqual({ messages: 0, deliveries: 0, pending: 0 });
      expect(await mailbox(bob)).toEqual({ pending: 0, last_seq: 2 });

      // Purged means never delivered.
      const bobsInbox = inbox(bob);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(bobsInbox.got).toEqual([]);
    });
  });
});

describe('DeliveryService with MAX_QUEUED_MESSAGES=3', () => {
  const {
    w,
    users,
    makeContacts,
    groupOf,
    send,
    sendToGroup,
    inbox,
    deliveriesOf,
    mailbox,
    sentBy,
  } = deliveryWorld({ MAX_QUEUED_MESSAGES: '3' });

  it('refuses a 4th undelivered message to the same recipient, storing nothing for it', async () => {
    const [alice, bob] = await users('Alice', 'Bob');
    await makeContacts(alice, bob);
    expect(w.h.config.MAX_QUEUED_MESSAGES).toBe(3);

    const accepted: SendReceipt[] = [];
    for (let i = 0; i < 3; i++) accepted.push(await send(alice, bob, { clientMessageId: `m${i}` }));

    await expectRefusal(
      send(alice, bob, { clientMessageId: 'm3' }),
      ConflictError,
      'recipient queue full',
    );
    expect(await sentBy(alice)).toBe(3);
    expect(await deliveriesOf(bob)).toHaveLength(3);
    expect(await mailbox(bob)).toEqual({ pending: 3, last_seq: 3 });
    // A resend of a message already stored is not a new one.
    expect(await send(alice, bob, { clientMessageId: 'm2' })).toEqual(accepted[2]);

    // Once Bob acknowledges one, there is room again.
    const bobsInbox = inbox(bob, (payload) => payload.id === accepted[0].id);
    await bobsInbox.waitFor(3);
    await waitUntil(async () => (await mailbox(bob)).pending === 2, 'the ack is written');
    const fourth = await send(alice, bob, { clientMessageId: 'm3' });
    expect(await deliveriesOf(bob)).toEqual([
      { seq: 2, message_id: accepted[1].id },
      { seq: 3, message_id: accepted[2].id },
      { seq: 4, message_id: fourth.id },
    ]);
  });

  it('refuses a group message as a whole when one member’s queue is full', async () => {
    const [alice, bob, carol] = await users('Alice', 'Bob', 'Carol');
    const groupId = await groupOf(alice, bob, carol);
    for (let i = 0; i < 3; i++) await send(alice, bob);

    await expectRefusal(sendToGroup(alice, groupId), ConflictError, 'recipient queue full');

    expect(await sentBy(alice)).toBe(3);
    expect(await deliveriesOf(carol)).toEqual([]);
    expect(await mailbox(carol)).toEqual({ pending: 0, last_seq: 0 });
    expect(await mailbox(bob)).toEqual({ pending: 3, last_seq: 3 });
  });
});
