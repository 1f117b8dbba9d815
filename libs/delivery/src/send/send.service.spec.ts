import { Client } from 'pg';
import { ContactsService } from '@app/contacts';
import { GroupsService } from '@app/groups';
import { createTestDatabase, TestDatabase } from '../../../../test/support/database';
import { expectRefusal, waitUntil } from '../../../../test/support/expect';
import {
  createServiceHarness,
  FakeSocket,
  ServiceHarness,
} from '../../../../test/support/service-module';
import { NotAContactError } from '@app/contacts';
import { NotGroupMemberError } from '@app/groups';
import { MessageTooLargeError, RecipientQueueFullError } from '../delivery.errors';
import { MessagesRepository } from '../messages.repository';
import { PumpHub } from '../pump/pump-hub';
import { RetentionService } from '../retention/retention.service';
import { ContactChatMessageDto, GroupChatMessageDto } from './messages.dto';
import { SendReceipt, SendService } from './send.service';

type User = Awaited<ReturnType<ServiceHarness['user']>>;
type Delivered = { event: string; payload: Record<string, unknown> };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PAYLOAD_KEYS = ['date', 'from', 'id', 'message', 'messageType', 'sentAt', 'time'];
const DAY_MS = 24 * 60 * 60 * 1000;
const quiet = () => new Promise((resolve) => setTimeout(resolve, 50));

/**
 * One service harness on one database, with the helpers every block below uses: users, contacts,
 * groups, sending, fake sockets ("inboxes") and reads of the delivery tables.
 */
function deliveryWorld(env: Record<string, string> = {}) {
  const w = {} as {
    db: TestDatabase;
    h: ServiceHarness;
    pg: Client;
    send: SendService;
    hub: PumpHub;
    retention: RetentionService;
    contacts: ContactsService;
    groups: GroupsService;
  };
  const attached: (() => void)[] = [];

  beforeAll(async () => {
    w.db = await createTestDatabase();
    w.h = await createServiceHarness(w.db.url, env);
    w.send = w.h.app.get(SendService);
    w.hub = w.h.app.get(PumpHub);
    w.retention = w.h.app.get(RetentionService);
    w.contacts = w.h.app.get(ContactsService);
    w.groups = w.h.app.get(GroupsService);
    w.pg = new Client({ connectionString: w.db.url });
    await w.pg.connect();
  });

  afterEach(() => attached.splice(0).forEach((detach) => detach()));

  afterAll(async () => {
    await w.hub.stop(); // writes the acknowledgements still waiting
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
    w.send.sendToContact(from, {
      to: typeof to === 'string' ? to : to.email,
      ...chat(fields),
    } as ContactChatMessageDto);

  const sendToGroup = (from: User, groupId: string, fields: Partial<GroupChatMessageDto> = {}) =>
    w.send.sendToGroup(from, { groupId, ...chat(fields) } as GroupChatMessageDto);

  /**
   * A fake socket of `user`: records what is delivered and acknowledges it when `ack` says so.
   * Detached after each test.
   */
  function inbox(
    user: User,
    ack: boolean | ((payload: Record<string, unknown>) => boolean) = true,
  ) {
    const got: Delivered[] = [];
    const dropped: number[] = [];
    const socket: FakeSocket = {
      receive: (delivery, onAck) => {
        const payload = JSON.parse(delivery.json) as Record<string, unknown>;
        got.push({ event: delivery.event, payload });
        if (ack === true || (typeof ack === 'function' && ack(payload))) onAck();
      },
      dropped: (count, onAck) => {
        dropped.push(count);
        onAck();
      },
    };
    void w.hub.attach(user.id, socket);
    const detach = () => w.hub.detach(user.id, socket);
    attached.push(detach);
    return {
      got,
      dropped,
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
                sent_at
           FROM messages WHERE id = $1`,
        [id],
      )
    )[0];

  const deliveriesOf = (user: User) =>
    query<{ seq: number; message_id: string }>(
      'SELECT seq::int, message_id::text FROM deliveries WHERE recipient_id = $1 ORDER BY seq',
      [user.id],
    );

  /** The user's queue head, acknowledged cursor and skipped group messages. */
  const mailbox = async (user: User) =>
    (
      await query<{ last_seq: number; acked_seq: number; dropped: number }>(
        `SELECT b.last_seq::int, COALESCE(c.acked_seq, 0)::int AS acked_seq, b.dropped
           FROM mailboxes b LEFT JOIN delivery_cursors c ON c.user_id = b.user_id
          WHERE b.user_id = $1`,
        [user.id],
      )
    )[0];

  const sentBy = async (user: User) =>
    (
      await query<{ n: number }>('SELECT count(*)::int AS n FROM messages WHERE sender_id = $1', [
        user.id,
      ])
    )[0].n;

  /** Waits until the user's acknowledged cursor has reached `seq`. */
  const ackedUpTo = (user: User, seq: number) =>
    waitUntil(async () => (await mailbox(user)).acked_seq >= seq, `the ack of seq ${seq}`);

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
    ackedUpTo,
  };
}

describe('SendService and PumpHub', () => {
  const world = deliveryWorld();
  const { w, users, makeContacts, groupOf, join, send, sendToGroup, inbox } = world;
  const { query, messageRow, deliveriesOf, mailbox, sentBy, ackedUpTo } = world;

  describe('1:1 messages', () => {
    it('refuses a recipient who is not an accepted contact, and stores nothing', async () => {
      const [alice, bob, carol] = await users('Alice', 'Bob', 'Carol');
      await w.contacts.sendRequest(alice, carol.email); // only requested

      for (const to of [bob.email, carol.email, 'nobody@example.com']) {
        await expectRefusal(send(alice, to), NotAContactError, 'recipient is not a contact');
      }
      expect(await sentBy(alice)).toBe(0);
      expect(await mailbox(bob)).toEqual({ last_seq: 0, acked_seq: 0, dropped: 0 });
    });

    it('refuses the first send after removeContact has answered', async () => {
      const [alice, bob] = await users('Alice', 'Bob');
      await makeContacts(alice, bob);
      await send(alice, bob);
      await w.contacts.removeContact(bob, alice.email);
      await expectRefusal(send(alice, bob), NotAContactError, 'recipient is not a contact');
      expect(await sentBy(alice)).toBe(1);
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
      });
      expect(await deliveriesOf(bob)).toEqual([{ seq: 1, message_id: receipt.id }]);
      expect(await mailbox(bob)).toEqual({ last_seq: 1, acked_seq: 0, dropped: 0 });
      expect(await mailbox(alice)).toEqual({ last_seq: 0, acked_seq: 0, dropped: 0 });
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
      await quiet();
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
      expect(await mailbox(bob)).toMatchObject({ last_seq: 1 });
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
      await quiet(); // nothing more arrives
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

    it('writes 40 sends fired at once in a few group commits, each exactly once, in seq order', async () => {
      const [alice, carol, bob] = await users('Alice', 'Carol', 'Bob');
      await makeContacts(bob, alice, carol);
      const bobsInbox = inbox(bob, false);
      const writes = jest.spyOn(w.h.app.get(MessagesRepository), 'storeBatch');

      const receipts = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          send(i % 2 ? carol : alice, bob, { message: `m${i}` }),
        ),
      );

      // The first send is written alone, the 39 that arrived meanwhile together.
      expect(writes.mock.calls.map(([batch]) => batch.length)).toEqual([1, 39]);
      writes.mockRestore();
      await bobsInbox.waitFor(40);
      await quiet();
      expect(bobsInbox.ids()).toHaveLength(40);
      expect(new Set(bobsInbox.ids())).toEqual(new Set(receipts.map((r) => r.id)));
      const queue = await deliveriesOf(bob);
      expect(queue.map((d) => d.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      // Within the batch, the order of the sends is the order in the queue.
      expect(queue.map((d) => d.message_id)).toEqual(receipts.map((r) => r.id));
      expect(bobsInbox.ids()).toEqual(queue.map((d) => d.message_id));
    });

    it('on acknowledgement advances the cursor; the delivery and ciphertext go in the next clean', async () => {
      const [alice, bob] = await users('Alice', 'Bob');
      await makeContacts(alice, bob);
      const bobsInbox = inbox(bob);

      const receipt = await send(alice, bob, { clientMessageId: 'acked', messageType: { a: 1 } });
      await bobsInbox.waitFor(1);
      await ackedUpTo(bob, 1);
      expect(await deliveriesOf(bob)).toEqual([{ seq: 1, message_id: receipt.id }]);

      // (the instance's own timer may have cleaned already: the state is what counts)
      await w.retention.cleanAcknowledged();
      expect(await deliveriesOf(bob)).toEqual([]);
      expect(await mailbox(bob)).toEqual({ last_seq: 1, acked_seq: 1, dropped: 0 });
      expect(await messageRow(receipt.id)).toMatchObject({ body: null, message_type: null });
      // The row stays for idempotent resends.
      expect(await send(alice, bob, { clientMessageId: 'acked' })).toEqual(receipt);
      expect(await deliveriesOf(bob)).toEqual([]);
    });

    it('delivers again to the next socket everything after the acknowledged prefix', async () => {
      const [alice, bob] = await users('Alice', 'Bob');
      await makeContacts(alice, bob);
      const [m1, m2, m3, m4] = [
        await send(alice, bob, { message: 'b25l' }),
        await send(alice, bob, { message: 'dHdv' }),
        await send(alice, bob, { message: 'dGhyZWU=' }),
        await send(alice, bob, { message: 'Zm91cg==' }),
      ];

      // m1 and m3 acknowledged: the prefix is m1 only, m3 waits for m2.
      const firstSocket = inbox(bob, (p) => p.id === m1.id || p.id === m3.id);
      await firstSocket.waitFor(4);
      await ackedUpTo(bob, 1);
      await quiet();
      expect((await mailbox(bob)).acked_seq).toBe(1);
      firstSocket.detach();

      const nextSocket = inbox(bob, false);
      await nextSocket.waitFor(3);
      await quiet();
      expect(firstSocket.ids()).toEqual([m1.id, m2.id, m3.id, m4.id]);
      expect(nextSocket.ids()).toEqual([m2.id, m3.id, m4.id]);
    });

    it('gives a socket attached mid-stream the older messages first, then the live ones', async () => {
      const [alice, bob] = await users('Alice', 'Bob');
      await makeContacts(alice, bob);
      for (const message of ['old0', 'old1', 'old2']) await send(alice, bob, { message });

      const bobsInbox = inbox(bob);
      for (const message of ['new0', 'new1', 'new2']) await send(alice, bob, { message });

      await bobsInbox.waitFor(6);
      await quiet();
      expect(bobsInbox.bodies()).toEqual(['old0', 'old1', 'old2', 'new0', 'new1', 'new2']);
    });

    it('refuses a message over MAX_MESSAGE_BYTES (bytes, not characters) and stores nothing', async () => {
      const [alice, bob] = await users('Alice', 'Bob');
      await makeContacts(alice, bob);
      expect(w.h.config.MAX_MESSAGE_BYTES).toBe(65536);

      for (const message of ['x'.repeat(65537), 'é'.repeat(32769)]) {
        await expectRefusal(
          send(alice, bob, { message }),
          MessageTooLargeError,
          'message too large (max 65536 bytes)',
        );
      }
      expect(await sentBy(alice)).toBe(0);
      expect(await mailbox(bob)).toEqual({ last_seq: 0, acked_seq: 0, dropped: 0 });

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
        NotGroupMemberError,
        'you are not a member of that group',
      );
      expect(await sentBy(mallory)).toBe(0);
      expect(await deliveriesOf(bob)).toEqual([]);
    });

    it('refuses the first send after leaveGroup or removeGroupMember has answered', async () => {
      const [alice, bob, carol] = await users('Alice', 'Bob', 'Carol');
      const groupId = await groupOf(alice, bob, carol);
      await w.groups.leave(bob, groupId);
      await w.groups.removeMember(alice, groupId, carol.email);
      for (const member of [bob, carol]) {
        await expectRefusal(
          sendToGroup(member, groupId),
          NotGroupMemberError,
          'you are not a member of that group',
        );
      }
    });

    it('stores one message with one delivery per other member; the sender gets nothing', async () => {
      const [alice, bob, carol] = await users('Alice', 'Bob', 'Carol');
      const groupId = await groupOf(alice, bob, carol);
      const inboxes = [inbox(alice), inbox(bob, false), inbox(carol, false)];

      const receipt = await sendToGroup(alice, groupId, { messageType: 'text' });

      expect(receipt.id).toMatch(UUID);
      expect(await sentBy(alice)).toBe(1);
      expect(await messageRow(receipt.id)).toMatchObject({ group_id: groupId });
      expect(await deliveriesOf(bob)).toEqual([{ seq: 1, message_id: receipt.id }]);
      expect(await deliveriesOf(carol)).toEqual([{ seq: 1, message_id: receipt.id }]);
      expect(await deliveriesOf(alice)).toEqual([]);

      await inboxes[1].waitFor(1);
      await inboxes[2].waitFor(1);
      await quiet();
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
      await ackedUpTo(bob, 1);
      await w.retention.cleanAcknowledged();
      expect(await deliveriesOf(bob)).toEqual([]);
      expect(await messageRow(receipt.id)).toMatchObject({
        body: 'Y2lwaGVydGV4dA==',
        message_type: '{"kind":"text"}',
      });

      const carolsInbox = inbox(carol);
      await carolsInbox.waitFor(1);
      await ackedUpTo(carol, 1);
      await w.retention.cleanAcknowledged();
      expect(await deliveriesOf(carol)).toEqual([]);
      expect(await messageRow(receipt.id)).toMatchObject({ body: null, message_type: null });
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

      const davesInbox = inbox(dave);
      const carolsInbox = inbox(carol);
      await davesInbox.waitFor(1);
      await carolsInbox.waitFor(1);
      await quiet();
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
    it('deletes nothing younger than MESSAGE_RETENTION_DAYS, everything older, and moves cursors over it', async () => {
      const [alice, bob, carol] = await users('Alice', 'Bob', 'Carol');
      const groupId = await groupOf(alice, bob, carol); // also makes Alice and Bob contacts
      await send(alice, bob);
      await sendToGroup(alice, groupId);
      const totals = async () =>
        (
          await query<{ messages: number; deliveries: number; backlog: number }>(
            `SELECT (SELECT count(*) FROM messages)::int AS messages,
                    (SELECT count(*) FROM deliveries)::int AS deliveries,
                    (SELECT coalesce(sum(b.last_seq - coalesce(c.acked_seq, 0)), 0)
                       FROM mailboxes b LEFT JOIN delivery_cursors c ON c.user_id = b.user_id)::int AS backlog`,
          )
        )[0];
      const before = await totals();
      expect(before.deliveries).toBeGreaterThanOrEqual(3);

      expect(w.h.config.MESSAGE_RETENTION_DAYS).toBe(30);
      expect(await w.retention.purgeExpired(new Date())).toBe(0);
      expect(await totals()).toEqual(before);

      expect(await w.retention.purgeExpired(new Date(Date.now() + 31 * DAY_MS))).toBe(
        before.messages,
      );
      expect(await totals()).toEqual({ messages: 0, deliveries: 0, backlog: 0 });
      expect(await mailbox(bob)).toEqual({ last_seq: 2, acked_seq: 2, dropped: 0 });

      // Purged means never delivered.
      const bobsInbox = inbox(bob);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(bobsInbox.got).toEqual([]);
    });
  });
});

describe('fair queues (MAX_QUEUED_MESSAGES=3, MAX_QUEUED_PER_SENDER=2)', () => {
  const world = deliveryWorld({ MAX_QUEUED_MESSAGES: '3', MAX_QUEUED_PER_SENDER: '2' });
  const { w, users, makeContacts, groupOf, send, sendToGroup, inbox } = world;
  const { deliveriesOf, mailbox, sentBy } = world;

  it('refuses a sender beyond their share of a queue, and anyone beyond the queue', async () => {
    const [alice, carol, bob] = await users('Alice', 'Carol', 'Bob');
    await makeContacts(bob, alice, carol);
    expect(w.h.config.MAX_QUEUED_MESSAGES).toBe(3);

    const accepted: SendReceipt[] = [];
    for (let i = 0; i < 2; i++) accepted.push(await send(alice, bob, { clientMessageId: `m${i}` }));
    // Alice has her share (2): she is refused, Carol is not.
    await expectRefusal(
      send(alice, bob, { clientMessageId: 'm2' }),
      RecipientQueueFullError,
      'recipient queue full',
    );
    const carols = await send(carol, bob);
    // The queue is full (3): everyone is refused.
    await expectRefusal(send(carol, bob), RecipientQueueFullError, 'recipient queue full');
    expect(await sentBy(alice)).toBe(2);
    expect(await deliveriesOf(bob)).toHaveLength(3);
    // A resend of a message already stored is not a new one.
    expect(await send(alice, bob, { clientMessageId: 'm1' })).toEqual(accepted[1]);

    // Once Bob acknowledges, there is room again.
    const bobsInbox = inbox(bob, (payload) => payload.id !== carols.id);
    await bobsInbox.waitFor(3);
    await waitUntil(async () => (await mailbox(bob)).acked_seq === 2, 'the ack is written');
    const third = await send(alice, bob, { clientMessageId: 'm2' });
    expect((await deliveriesOf(bob)).map((d) => d.message_id).slice(-2)).toEqual([
      carols.id,
      third.id,
    ]);
  });

  it('skips a group member whose queue is full, counts it, and tells them once they connect', async () => {
    const [alice, bob, carol] = await users('Alice', 'Bob', 'Carol');
    const groupId = await groupOf(alice, bob, carol);
    const [dave] = await users('Dave');
    await makeContacts(dave, bob);
    for (let i = 0; i < 2; i++) await send(alice, bob);
    await send(dave, bob); // Bob's queue is full now

    const receipt = await sendToGroup(carol, groupId);

    expect(await deliveriesOf(alice)).toEqual([{ seq: 1, message_id: receipt.id }]);
    expect(await deliveriesOf(bob)).toHaveLength(3);
    expect(await mailbox(bob)).toEqual({ last_seq: 3, acked_seq: 0, dropped: 1 });

    const bobsInbox = inbox(bob, false);
    await bobsInbox.waitFor(3);
    await waitUntil(() => bobsInbox.dropped.length === 1, 'Bob is told');
    expect(bobsInbox.dropped).toEqual([1]);
    await waitUntil(async () => (await mailbox(bob)).dropped === 0, 'the count is reset');
  });
});
