import { io, Socket } from 'socket.io-client';
import {
  BowlClient,
  BowlClientOptions,
  createGroupKey,
  encryptMessage,
  exportPublicKey,
  generateKeyPair,
  importPublicKey,
  Session,
  SocketFactory,
  SocketLike,
  wrapGroupKey,
} from '@app/sdk';
import { uniqueEmail } from './clients';
import { createTestDatabase, TestDatabase } from './database';
import { connectRecording } from './fleet';
import { GatewayProcess, startGateway } from './gateway-process';
import { TEST_JWT_SECRET } from './test-app';

/** People using the SDK's BowlClient against a gateway process, over real sockets. */

export const PASSWORD = 'correct horse battery';
export const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

export interface SdkUser {
  email: string;
  keys: CryptoKeyPair;
  publicKey: string;
  client: BowlClient;
  /** Every socket.io socket the client opened, newest last. */
  sockets: Socket[];
  /** The session register handed out (access token, refresh token, expiry). */
  session: Session;
  token: string;
}

/** Wraps the socket.io socket the SDK opens, e.g. to watch or disturb what it sends. */
export type SocketWrap = (socket: Socket) => SocketLike;

/** socket.io-client sockets as the SDK makes them, recorded so a test can cut their transport. */
function recordingFactory(sockets: Socket[], wrap?: SocketWrap): SocketFactory {
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
export const cutNetwork = (socket: Socket) => socket.io.engine.close();

export class SdkPeople {
  private readonly clients: BowlClient[] = [];

  /** `url` is read on every use, so a gateway restarted on another port can be followed. */
  constructor(
    private readonly url: () => string,
    private readonly options: Partial<BowlClientOptions> = {},
  ) {}

  newClient(sockets: Socket[], wrap?: SocketWrap, options: Partial<BowlClientOptions> = {}) {
    const client = new BowlClient({
      url: this.url(),
      socketFactory: recordingFactory(sockets, wrap),
      backoff: { minMs: 50, maxMs: 200 },
      ...this.options,
      ...options,
    });
    this.clients.push(client);
    return client;
  }

  /** Registers through the client's HTTP API and adopts the session (not yet connected). */
  async register(
    name: string,
    wrap?: SocketWrap,
    options: Partial<BowlClientOptions> = {},
  ): Promise<SdkUser> {
    const keys = await generateKeyPair();
    const publicKey = await exportPublicKey(keys.publicKey);
    const sockets: Socket[] = [];
    const client = this.newClient(sockets, wrap, options);
    const email = uniqueEmail(name);
    const { session } = await client.api.register({ name, email, password: PASSWORD, publicKey });
    client.useSession(session);
    return { email, keys, publicKey, client, sockets, session, token: session.accessToken };
  }

  /** Two connected users who are contacts, and the public key each holds of the other. */
  async contacts(
    wrapAlice?: SocketWrap,
    wrapBob?: SocketWrap,
    aliceOptions: Partial<BowlClientOptions> = {},
  ) {
    const alice = await this.register('alice', wrapAlice, aliceOptions);
    const bob = await this.register('bob', wrapBob);
    await Promise.all([alice.client.connect(), bob.client.connect()]);
    const toBob = await alice.client.request('sendContactRequest', { email: bob.email });
    const toAlice = await bob.client.request('acceptContactRequest', { email: alice.email });
    return {
      alice,
      bob,
      bobKey: await importPublicKey(toBob.contactData.publicKey),
      aliceKey: await importPublicKey(toAlice.contactData.publicKey),
    };
  }

  /** A new group of `admin`'s, and an invitation to it for one of their contacts. */
  async groupInviting(admin: SdkUser, name: string, invitee: { email: string; key: CryptoKey }) {
    const groupKey = await createGroupKey();
    const { groupId } = await admin.client.request('createGroup', {
      name,
      encryptedGroupKey: await wrapGroupKey(groupKey, admin.keys.publicKey),
    });
    await admin.client.request('sendGroupRequest', {
      groupId,
      email: invitee.email,
      encryptedGroupKey: await wrapGroupKey(groupKey, invitee.key),
    });
    return { groupId, groupKey };
  }

  closeAll(): void {
    this.clients.forEach((c) => c.close());
  }

  /** The ids in `user`'s queue as a fresh socket sees it, up to and including `sentinel`. */
  async queueUpTo(user: SdkUser, sentinel: string): Promise<string[]> {
    const socket = await connectRecording(this.url(), user.token);
    try {
      await socket.waitFor('contactChatMessage', (m) => m.id === sentinel);
      return socket.all('contactChatMessage').map((m) => m.id as string);
    } finally {
      socket.close();
    }
  }
}

export async function chatMessage(to: string, key: CryptoKey, plaintext: string) {
  const message = await encryptMessage(key, plaintext);
  return { to, date: '01/12/2026', time: '12:00', messageType: 'text', message };
}

export async function send(from: SdkUser, to: string, key: CryptoKey, plaintext: string) {
  return from.client.request('contactChatMessage', await chatMessage(to, key, plaintext));
}

/** Resolves with the client's next status of `state`. */
export function nextStatus(client: BowlClient, state: string): Promise<void> {
  return new Promise((resolve) => {
    const stop = client.onStatus((s) => {
      if (s.state !== state) return;
      stop();
      resolve();
    });
  });
}

export interface SdkGateway {
  readonly db: TestDatabase;
  readonly gateway: GatewayProcess;
  readonly people: SdkPeople;
  /** Stops the gateway and starts it again, on the same port with the same environment. */
  restart(): Promise<void>;
}

/**
 * For one test file: a gateway process on a fresh database (with `env` added to its
 * environment), started before the tests and stopped after them with every SDK client.
 */
export function sdkGateway(env: Record<string, string> = {}): SdkGateway {
  let db: TestDatabase;
  let gateway: GatewayProcess;
  let fullEnv: Record<string, string>;
  const people = new SdkPeople(() => gateway.url);
  beforeAll(async () => {
    db = await createTestDatabase();
    fullEnv = { DATABASE_URL: db.url, JWT_SECRET: TEST_JWT_SECRET, ...env };
    gateway = await startGateway(fullEnv);
  });
  afterAll(async () => {
    people.closeAll();
    await gateway?.stop();
    await db?.drop();
  });
  return {
    get db() {
      return db;
    },
    get gateway() {
      return gateway;
    },
    people,
    restart: async () => {
      await gateway.stop();
      gateway = await startGateway(fullEnv, { port: gateway.port });
    },
  };
}
