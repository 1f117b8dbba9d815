import { io, Socket } from 'socket.io-client';
import {
  BowlClient,
  decryptMessage,
  encryptMessage,
  exportPublicKey,
  generateKeyPair,
  importPublicKey,
  RequestError,
  SocketFactory,
  SocketLike,
  ValidationError,
} from '@app/sdk';
import { waitUntil } from './support/expect';
import { uniqueEmail } from './support/clients';
import { createTestDatabase, TestDatabase } from './support/database';
import { connectRecording } from './support/fleet';
import { GatewayProcess, startGateway } from './support/gateway-process';
import { TEST_JWT_SECRET } from './support/test-app';

/**
 * The SDK's BowlClient against the built gateway (a real process) on PostgreSQL, over real
 * sockets: acks after the app's handler, dedupe of redeliveries, the offline queue and resends
 * with the same clientMessageId, typed errors. Network losses are made by closing the client's
 * transport.
 */

const PASSWORD = 'correct horse battery';
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

interface SdkUser {
  email: string;
  keys: CryptoKeyPair;
  publicKey: string;
  client: BowlClient;
  /** Every socket.io socket the client opened, newest last. */
  sockets: Socket[];
  token: string;
}

/** socket.io-client sockets as the SDK makes them, recorded so the test can cut their transport. */
function recordingFactory(sockets: Socket[], wrap?: (socket: Socket) => SocketLike): SocketFactory {
  return (url, auth) => {
    const socket = io(url, {
      auth,
      autoConnect: false,
      reconnection: false,
      forceNew: true,
      transports: ['websocket'],
    });
    sockets.push(socket);
    return wrap ? wrap(socket) : socket;
  };
}

/** What a network loss looks like to the client: its transport closes under it. */
const cutNetwork = (socket: Socket) => socket.io.engine.close();

/** Loses the answer to the first `event` it sends, cutting the network when the answer arrives. */
function losingFirstAnswerTo(event: string) {
  let lost = false;
  return (socket: Socket): SocketLike => ({
    get connected() {
      return socket.connected;
    },
    connect: () => socket.connect(),
    disconnect: () => socket.disconnect(),
    on: socket.on.bind(socket),
    onAny: socket.onAny.bind(socket),
    emit: (name: string, ...args: unknown[]) => {
      if (name !== event || lost) return socket.emit(name, ...args);
      lost = true;
      return socket.emit(name, ...args.slice(0, -1), () => cutNetwork(socket));
    },
  });
}

describe('SDK BowlClient against the gateway', () => {
  let db: TestDatabase;
  let gateway: GatewayProcess;
  const clients: BowlClient[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    gateway = await startGateway({ DATABASE_URL: db.url, JWT_SECRET: TEST_JWT_SECRET });
  });
  afterAll(async () => {
    clients.forEach((c) => c.close());
    await gateway?.stop();
    await db?.drop();
  });

  function newClient(sockets: Socket[], wrap?: (socket: Socket) => SocketLike): BowlClient {
    const client = new BowlClient({
      url: gateway.url,
      socketFactory: recordingFactory(sockets, wrap),
      backoff: { minMs: 50, maxMs: 200 },
    });
    clients.push(client);
    return client;
  }

  async function register(name: string, wrap?: (socket: Socket) => SocketLike): Promise<SdkUser> {
    const keys = await generateKeyPair();
    const publicKey = await exportPublicKey(keys.publicKey);
    const sockets: Socket[] = [];
    const client = newClient(sockets, wrap);
    const email = uniqueEmail(name);
    const session = await client.api.register({ name, email, password: PASSWORD, publicKey });
    client.useSession(session.session);
    return { email, keys, publicKey, client, sockets, token: session.session.accessToken };
  }

  /** Two connected users who are contacts. */
  async function contacts(
    wrapAlice?: (socket: Socket) => SocketLike,
    wrapBob?: (socket: Socket) => SocketLike,
  ) {
    const alice = await register('alice', wrapAlice);
    const bob = await register('bob', wrapBob);
    await Promise.all([alice.client.connect(), bob.client.connect()]);
    const { contactData } = await alice.client.request('sendContactRequest', { email: bob.email });
    await bob.client.request('acceptContactRequest', { email: alice.email });
    return { alice, bob, bobKey: await importPublicKey(contactData.publicKey) };
  }

  async function chatMessage(to: string, key: CryptoKey, plaintext: string) {
    const message = await encryptMessage(key, plaintext);
    return { to, date: '01/12/2026', time: '12:00', messageType: 'text', message };
  }

  async function send(from: SdkUser, to: string, key: CryptoKey, plaintext: string) {
    return from.client.request('contactChatMessage', await chatMessage(to, key, plaintext));
  }

  /** Bob's queue as a fresh socket sees it: the messages up to and including `sentinel`. */
  async function queueUpTo(bob: SdkUser, sentinel: string): Promise<string[]> {
    const socket = await connectRecording(gateway.url, bob.token);
    try {
      await socket.waitFor('contactChatMessage', (m) => m.id === sentinel);
      return socket.all('contactChatMessage').map((m) => m.id as string);
    } finally {
      socket.close();
    }
  }

  it('acknowledges only after the handler resolved: unfinished messages come again', async () => {
    const { alice, bob, bobKey } = await contacts();
    let release!: () => void;
    const seen: string[] = [];
    bob.client.on('contactChatMessage', async (m) => {
      seen.push(text(await decryptMessage(bob.keys.privateKey, m.message)));
      await new Promise<void>((resolve) => (release = resolve));
    });
    await send(alice, bob.email, bobKey, 'first');
    await waitUntil(() => seen.length === 1, 'the handler to start');
    bob.client.close(); // the app never finished with it: no ack

    const later = newClient([]);
    later.useSession({ accessToken: bob.token });
    const redelivered: string[] = [];
    later.on('contactChatMessage', async (m) => {
      redelivered.push(text(await decryptMessage(bob.keys.privateKey, m.message)));
    });
    await later.connect();
    await waitUntil(() => redelivered.length === 1, 'the redelivery');
    release();
    later.close();
    // Acknowledged this time: a fresh socket's queue starts after it.
    const sentinel = await send(alice, bob.email, bobKey, 'sentinel');
    expect([seen, redelivered, await queueUpTo(bob, sentinel.id)]).toEqual([
      ['first'],
      ['first'],
      [sentinel.id],
    ]);
  });

  it('hands a message redelivered after a lost ack to the app once, and acknowledges it', async () => {
    const delivered: string[] = []; // what reached Bob's transport
    const { alice, bob, bobKey } = await contacts(undefined, (socket) => {
      socket.on('contactChatMessage', (m: { id: string }) => delivered.push(m.id));
      return socket;
    });
    const handled: string[] = [];
    bob.client.on('contactChatMessage', async (m) => {
      handled.push(m.id);
      if (handled.length > 1) return;
      // The network fails before the ack can leave; the app finishes meanwhile.
      const offline = new Promise<void>((resolve) => {
        const stop = bob.client.onStatus(
          (s) => void (s.state === 'offline' && (stop(), resolve())),
        );
      });
      cutNetwork(bob.sockets[0]);
      await offline;
    });
    const sent = await send(alice, bob.email, bobKey, 'once');
    const next = await send(alice, bob.email, bobKey, 'next');
    await waitUntil(() => handled.includes(next.id), 'the next message');
    bob.client.close();
    // Delivered twice, handled once, acknowledged: a fresh socket's queue starts after both.
    expect([delivered, handled]).toEqual([
      [sent.id, sent.id, next.id],
      [sent.id, next.id],
    ]);
    const sentinel = await send(alice, bob.email, bobKey, 'sentinel');
    expect(await queueUpTo(bob, sentinel.id)).toEqual([sentinel.id]);
  });

  it('resends with the same clientMessageId after a lost answer, and queues sends while offline', async () => {
    const { alice, bob, bobKey } = await contacts(losingFirstAnswerTo('contactChatMessage'));
    bob.client.close();
    const statuses: string[] = [];
    alice.client.onStatus((s) => statuses.push(s.state));
    const [one, two] = await Promise.all([
      chatMessage(bob.email, bobKey, 'one'),
      chatMessage(bob.email, bobKey, 'two'),
    ]);
    // The second is sent the moment the first one's connection is lost: it waits in the queue.
    const second = new Promise((resolve) => {
      const stop = alice.client.onStatus((s) => {
        if (s.state !== 'offline') return;
        stop();
        resolve(alice.client.request('contactChatMessage', two));
      });
    });
    // The first is stored, but its answer is lost with the network.
    const first = alice.client.request('contactChatMessage', one);
    const [firstAck, secondAck] = (await Promise.all([first, second])) as { id: string }[];
    expect(statuses.slice(0, 3)).toEqual(['offline', 'connecting', 'online']);
    // Stored once each, in order: the resend got back the first id.
    const sentinel = await send(alice, bob.email, bobKey, 'sentinel');
    expect(await queueUpTo(bob, sentinel.id)).toEqual([firstAck.id, secondAck.id, sentinel.id]);
  });

  it('surfaces ERROR acks as typed errors', async () => {
    const alice = await register('alice');
    await alice.client.connect();
    const invalid = await alice.client
      .request('sendContactRequest', { email: 'not an email' })
      .catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(ValidationError);
    expect(invalid).toMatchObject({
      code: 'validation',
      message: 'email must be a valid email address',
    });
    const stranger = await register('stranger');
    const refused = (await send(alice, stranger.email, stranger.keys.publicKey, 'hi').catch(
      (e: unknown) => e,
    )) as RequestError;
    expect(refused).toBeInstanceOf(RequestError);
    expect([refused.message, refused.ack.status]).toEqual(['recipient is not a contact', 'ERROR']);
  });
});
