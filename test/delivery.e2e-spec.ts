import { createServer, Server, Socket as NetSocket } from 'node:net';
import { emitAck, registerUser, TestUser } from './support/clients';
import { chatMessage, makeContacts, makeGroup } from './support/chat';
import { waitUntil } from './support/expect';
import { connectRecording, Fleet, RecordingSocket, startFleet } from './support/fleet';
import { freePort, startGateway } from './support/gateway-process';
import { TEST_JWT_SECRET } from './support/test-app';
import { createTestDatabase, testRedisPrefix } from './support/database';

const ids = (received: Record<string, unknown>[]) => received.map((m) => m.id as string);

describe('durable delivery across a fleet of two gateways', () => {
  let fleet: Fleet;
  let a: string; // gateway of the senders
  let b: string; // the other gateway
  let alice: TestUser;
  let bob: TestUser;
  let aliceSocket: RecordingSocket;

  beforeAll(async () => {
    fleet = await startFleet(2);
    [a, b] = fleet.gateways.map((g) => g.url);
    alice = await registerUser(a, { name: 'Alice', sharedKeys: true });
    bob = await registerUser(a, { name: 'Bob', sharedKeys: true });
    aliceSocket = await connectRecording(a, alice.token);
    const bobSocket = await connectRecording(b, bob.token);
    await makeContacts(aliceSocket.socket, bobSocket.socket, alice.email, bob.email);
    bobSocket.close();
  }, 60_000);

  afterAll(async () => {
    aliceSocket?.close();
    await fleet?.stop();
  });

  it('queues 20 messages for an offline contact and delivers them in order on another instance', async () => {
    const sent: string[] = [];
    for (let i = 0; i < 20; i++) {
      const ack = await emitAck(
        aliceSocket.socket,
        'contactChatMessage',
        chatMessage(bob.email, `m${i}`),
      );
      expect(ack).toMatchObject({
        status: 'OK',
        id: expect.any(String),
        sentAt: expect.any(String),
      });
      sent.push(ack.id as string);
    }

    // First connection: acknowledge only the first 10.
    const firstTen = new Set(sent.slice(0, 10));
    const first = await connectRecording(b, bob.token, {
      ackMessages: (m) => firstTen.has(m.id as string),
    });
    await waitUntil(() => first.all('contactChatMessage').length === 20, '20 queued messages');
    expect(ids(first.all('contactChatMessage'))).toEqual(sent);
    expect(first.all('contactChatMessage').map((m) => m.message)).toEqual(
      sent.map((_, i) => `m${i}`),
    );
    expect(first.all('contactChatMessage')[0]).toMatchObject({
      from: alice.email,
      date: '25/11/2026',
      time: '12:00',
    });
    // onlineChats comes before any queued message.
    expect(first.events.findIndex((e) => e.event === 'onlineChats')).toBe(0);
    await new Promise((r) => setTimeout(r, 300)); // let the acks reach the database
    first.close();

    // Second connection: only the 10 unacknowledged ones come again, still in order.
    const second = await connectRecording(a, bob.token);
    await waitUntil(
      () => second.all('contactChatMessage').length === 10,
      'the 10 unacknowledged messages',
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(ids(second.all('contactChatMessage'))).toEqual(sent.slice(10));
    second.close();

    // Third connection: everything was acknowledged, nothing comes.
    const third = await connectRecording(b, bob.token);
    await third.waitFor('onlineChats');
    await new Promise((r) => setTimeout(r, 800));
    expect(third.all('contactChatMessage')).toEqual([]);
    third.close();
  }, 60_000);

  it('keeps per-conversation order while the replay and new live messages overlap', async () => {
    const sent: string[] = [];
    for (let i = 0; i < 150; i++) {
      sent.push(
        (await emitAck(aliceSocket.socket, 'contactChatMessage', chatMessage(bob.email, `q${i}`)))
          .id as string,
      );
    }
    const bobSocket = await connectRecording(b, bob.token);
    for (let i = 0; i < 50; i++) {
      sent.push(
        (await emitAck(aliceSocket.socket, 'contactChatMessage', chatMessage(bob.email, `l${i}`)))
          .id as string,
      );
    }
    await waitUntil(() => bobSocket.all('contactChatMessage').length >= 200, '200 messages');
    await new Promise((r) => setTimeout(r, 300));
    expect(ids(bobSocket.all('contactChatMessage'))).toEqual(sent);
    bobSocket.close();
  }, 60_000);

  it('answers a resend with the same clientMessageId with the first id and delivers it once', async () => {
    const payload = chatMessage(bob.email, 'once', { clientMessageId: 'client-42' });
    const first = await emitAck(aliceSocket.socket, 'contactChatMessage', payload);
    const again = await emitAck(aliceSocket.socket, 'contactChatMessage', payload);
    expect(first.status).toBe('OK');
    expect(again).toEqual(first);
    const bobSocket = await connectRecording(a, bob.token);
    await bobSocket.waitFor('contactChatMessage', (m) => m.id === first.id);
    await new Promise((r) => setTimeout(r, 500));
    expect(bobSocket.all('contactChatMessage').filter((m) => m.id === first.id)).toHaveLength(1);
    bobSocket.close();
  }, 30_000);

  it('delivers group messages to an offline member, and not to one who left', async () => {
    const carol = await registerUser(a, { name: 'Carol', sharedKeys: true });
    const carolSocket = await connectRecording(b, carol.token);
    const bobSocket = await connectRecording(b, bob.token);
    await makeContacts(aliceSocket.socket, carolSocket.socket, alice.email, carol.email);
    const groupId = await makeGroup(aliceSocket.socket, [
      { email: bob.email, socket: bobSocket.socket },
      { email: carol.email, socket: carolSocket.socket },
    ]);
    bobSocket.close(); // Bob goes offline
    expect(await emitAck(carolSocket.socket, 'leaveGroup', { groupId })).toMatchObject({
      status: 'OK',
    });
    carolSocket.close();

    const sent: string[] = [];
    for (let i = 0; i < 5; i++) {
      const ack = await emitAck(aliceSocket.socket, 'groupChatMessage', {
        groupId,
        date: '25/11/26',
        time: '09:30',
        messageType: 'text',
        message: `g${i}`,
      });
      sent.push(ack.id as string);
    }
    const bobBack = await connectRecording(a, bob.token);
    await waitUntil(() => bobBack.all('groupChatMessage').length === 5, '5 group messages for Bob');
    expect(ids(bobBack.all('groupChatMessage'))).toEqual(sent);
    expect(bobBack.all('groupChatMessage')[0]).toMatchObject({
      groupId,
      from: alice.email,
      message: 'g0',
    });
    const carolBack = await connectRecording(a, carol.token);
    await carolBack.waitFor('onlineChats');
    await new Promise((r) => setTimeout(r, 800));
    expect(carolBack.all('groupChatMessage')).toEqual([]);
    bobBack.close();
    carolBack.close();
  }, 60_000);
});

/** A TCP proxy in front of PostgreSQL, so a test can cut the gateway's database connections. */
async function startProxy(
  targetPort: number,
): Promise<{ port: number; cut(): Promise<void>; restore(): Promise<void> }> {
  const port = await freePort();
  const open = new Set<NetSocket>();
  let server: Server;
  const listen = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        const upstream = new NetSocket();
        upstream.connect(targetPort, '127.0.0.1');
        for (const s of [client, upstream]) {
          open.add(s);
          s.on('close', () => open.delete(s));
          s.on('error', () => s.destroy());
        }
        client.pipe(upstream).pipe(client);
      });
      server.listen(port, '127.0.0.1', () => resolve());
    });
  await listen();
  return {
    port,
    cut: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of open) s.destroy();
      });
    },
    restore: listen,
  };
}

describe('a send is acknowledged only once it is stored', () => {
  it('answers ERROR, not OK, while the database is unreachable, and OK again once it is back', async () => {
    const db = await createTestDatabase();
    const dbUrl = new URL(db.url);
    const proxy = await startProxy(Number(dbUrl.port || 5432));
    const proxied = new URL(db.url);
    proxied.port = String(proxy.port);
    proxied.hostname = '127.0.0.1';
    const gateway = await startGateway({
      DATABASE_URL: proxied.toString(),
      REDIS_URL: process.env.BOWL_TEST_REDIS_URL!,
      REDIS_KEY_PREFIX: testRedisPrefix(),
      JWT_SECRET: TEST_JWT_SECRET,
    });
    try {
      const alice = await registerUser(gateway.url, { sharedKeys: true });
      const bob = await registerUser(gateway.url, { sharedKeys: true });
      const aliceSocket = await connectRecording(gateway.url, alice.token);
      const bobSocket = await connectRecording(gateway.url, bob.token);
      await makeContacts(aliceSocket.socket, bobSocket.socket, alice.email, bob.email);
      bobSocket.close();

      await proxy.cut();
      const refused = await emitAck(
        aliceSocket.socket,
        'contactChatMessage',
        chatMessage(bob.email, 'lost?'),
      );
      expect(refused).toEqual({
        status: 'ERROR',
        error: 'internal error',
        code: 'internal',
        ref: expect.any(String),
      });
      expect(aliceSocket.socket.connected).toBe(true);

      await proxy.restore();
      // The pool reconnects on demand; the first sends after the cut may still meet dead connections.
      let stored: Record<string, unknown> = {};
      for (let attempt = 0; attempt < 20 && stored.status !== 'OK'; attempt++) {
        stored = await emitAck(
          aliceSocket.socket,
          'contactChatMessage',
          chatMessage(bob.email, 'kept'),
        );
        if (stored.status !== 'OK') await new Promise((r) => setTimeout(r, 250));
      }
      expect(stored.status).toBe('OK');

      const bobBack = await connectRecording(gateway.url, bob.token);
      await bobBack.waitFor('contactChatMessage', (m) => m.id === stored.id);
      await new Promise((r) => setTimeout(r, 300));
      expect(bobBack.all('contactChatMessage').map((m) => m.message)).toEqual(['kept']);
      bobBack.close();
      aliceSocket.close();
    } finally {
      await gateway.stop();
      await proxy.cut().catch(() => undefined);
      await db.drop();
    }
  }, 60_000);
});

describe('fair queues over real sockets (MAX_QUEUED_MESSAGES=2)', () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await startFleet(2, { MAX_QUEUED_MESSAGES: '2', MAX_QUEUED_PER_SENDER: '2' });
  }, 60_000);
  afterAll(() => fleet?.stop());

  it('skips a full member, delivers to the others, and tells the full one on connect', async () => {
    const [a, b] = fleet.gateways.map((g) => g.url);
    const [alice, bob, carol] = await Promise.all(
      ['Alice', 'Bob', 'Carol'].map((name) => registerUser(a, { name, sharedKeys: true })),
    );
    const aliceSocket = await connectRecording(a, alice.token);
    const bobSocket = await connectRecording(b, bob.token);
    const carolSocket = await connectRecording(b, carol.token);
    await makeContacts(aliceSocket.socket, bobSocket.socket, alice.email, bob.email);
    await makeContacts(aliceSocket.socket, carolSocket.socket, alice.email, carol.email);
    const groupId = await makeGroup(aliceSocket.socket, [
      { email: bob.email, socket: bobSocket.socket },
      { email: carol.email, socket: carolSocket.socket },
    ]);
    bobSocket.close(); // Bob's queue fills up while he is away
    for (const n of [1, 2]) {
      const ack = await emitAck(
        aliceSocket.socket,
        'contactChatMessage',
        chatMessage(bob.email, `m${n}`),
      );
      expect(ack.status).toBe('OK');
    }
    expect(
      await emitAck(aliceSocket.socket, 'contactChatMessage', chatMessage(bob.email, 'm3')),
    ).toEqual({ status: 'ERROR', error: 'recipient queue full', code: 'recipient_queue_full' });

    const toGroup = await emitAck(aliceSocket.socket, 'groupChatMessage', {
      ...chatMessage(bob.email, 'Z3JvdXA='),
      to: undefined,
      groupId,
    });
    expect(toGroup).toMatchObject({ status: 'OK' });
    await carolSocket.waitFor('groupChatMessage', (p) => p.id === toGroup.id);

    const bobAgain = await connectRecording(a, bob.token);
    expect(await bobAgain.waitFor('messagesDropped')).toEqual({ count: 1 });
    await waitUntil(() => bobAgain.all('contactChatMessage').length === 2, 'the two queued');
    expect(bobAgain.all('groupChatMessage')).toEqual([]);
    for (const s of [aliceSocket, carolSocket, bobAgain]) s.close();
  }, 60_000);
});
