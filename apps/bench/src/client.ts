import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { io, Socket } from 'socket.io-client';
import { forEachLimited } from './load';

const PASSWORD = 'bench-password-1234';
const REQUEST_TIMEOUT_MS = 10_000;
const CONNECT_TIMEOUT_MS = 10_000;
/** Random bytes after the tag, so a ciphertext is about the size of a short encrypted text. */
const CIPHERTEXT_PAD_BYTES = 160;

export interface BenchUser {
  email: string;
  token: string;
}

let publicKey: string | undefined;

/** One RSA-2048 key pair for every bench user: each one costs tens of milliseconds to make. */
function sharedPublicKey(): string {
  publicKey ??= generateKeyPairSync('rsa', { modulusLength: 2048 })
    .publicKey.export({ type: 'spki', format: 'der' })
    .toString('base64');
  return publicKey;
}

export async function register(baseUrl: string, email: string): Promise<BenchUser> {
  const res = await fetch(`${baseUrl}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'Bench User',
      email,
      password: PASSWORD,
      publicKey: sharedPublicKey(),
    }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const body = (await res.json()) as { accessToken?: unknown; message?: unknown };
  if (res.status !== 201 || typeof body.accessToken !== 'string') {
    throw new Error(`register ${email} failed: ${res.status} ${JSON.stringify(body.message)}`);
  }
  return { email, token: body.accessToken };
}

/**
 * A chat message body: base64 of "<tag>\n" and random bytes. The server only relays it; the tag
 * lets the receiving side tell which send it is without waiting for the sender's ack.
 */
export function ciphertext(tag: string): string {
  return Buffer.concat([Buffer.from(`${tag}\n`), randomBytes(CIPHERTEXT_PAD_BYTES)]).toString(
    'base64',
  );
}

export function tagOf(message: string): string {
  const bytes = Buffer.from(message, 'base64');
  return bytes.subarray(0, Math.max(0, bytes.indexOf(0x0a))).toString();
}

/** A random base64 string standing in for a group key wrapped with RSA-OAEP. */
export const wrappedKey = (): string => randomBytes(256).toString('base64');

export const chatFields = { date: '25/11/2026', time: '12:00', messageType: 'text' } as const;

export type ChatEvent = 'contactChatMessage' | 'groupChatMessage';

export interface ChatPayload {
  id: string;
  message: string;
  from: string;
  groupId?: string;
}

export interface Ack {
  status: 'OK' | 'ERROR';
  error?: string;
  [field: string]: unknown;
}

export type ChatHandler = (payload: ChatPayload) => void;

function isChatPayload(value: unknown): value is ChatPayload {
  const v = value as Partial<ChatPayload> | null;
  return typeof v?.id === 'string' && typeof v.message === 'string' && typeof v.from === 'string';
}

/** One user's socket.io connection; chat messages it receives are acknowledged at once. */
export class BenchClient {
  private constructor(
    readonly user: BenchUser,
    private readonly socket: Socket,
  ) {}

  /** Connects with `onChat` listening before the handshake, so no queued message is missed. */
  static connect(baseUrl: string, user: BenchUser, onChat?: ChatHandler): Promise<BenchClient> {
    const socket = io(baseUrl, {
      auth: { token: user.token },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      autoConnect: false,
      timeout: CONNECT_TIMEOUT_MS,
    });
    const chat = (payload: unknown, ack?: unknown) => {
      if (typeof ack === 'function') ack({ status: 'OK' });
      if (isChatPayload(payload)) onChat?.(payload);
    };
    socket.on('contactChatMessage', chat);
    socket.on('groupChatMessage', chat);
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(new BenchClient(user, socket)));
      socket.once('connect_error', (err: Error) => {
        socket.close();
        reject(new Error(`${user.email} could not connect to ${baseUrl}: ${err.message}`));
      });
      socket.connect();
    });
  }

  /** Emits and waits for the ack; rejects on timeout or disconnection. */
  async request(event: string, payload: object, timeoutMs = REQUEST_TIMEOUT_MS): Promise<Ack> {
    const reply: unknown = await this.socket.timeout(timeoutMs).emitWithAck(event, payload);
    const ack = reply as Partial<Ack> | null;
    if (ack?.status !== 'OK' && ack?.status !== 'ERROR') {
      throw new Error(`${event}: unexpected ack ${JSON.stringify(reply)}`);
    }
    return ack as Ack;
  }

  /** Like request, but an ERROR ack is an exception. */
  async requestOk(event: string, payload: object): Promise<Ack> {
    const ack = await this.request(event, payload);
    if (ack.status !== 'OK') throw new Error(`${event} by ${this.user.email}: ${ack.error}`);
    return ack;
  }

  close(): void {
    this.socket.close();
  }
}

export async function makeContacts(a: BenchClient, b: BenchClient): Promise<void> {
  await a.requestOk('sendContactRequest', { email: b.user.email });
  await b.requestOk('acceptContactRequest', { email: a.user.email });
}

/** Connects every user to `urlOf(index)`, at most `parallel` handshakes at a time. */
export async function connectAll(
  users: readonly BenchUser[],
  urlOf: (index: number) => string,
  onChat?: (index: number) => ChatHandler,
  parallel = 10,
): Promise<BenchClient[]> {
  const clients: BenchClient[] = [];
  try {
    await forEachLimited(users.length, parallel, async (i) => {
      clients[i] = await BenchClient.connect(urlOf(i), users[i], onChat?.(i));
    });
  } catch (err) {
    closeAll(clients);
    throw err;
  }
  return clients;
}

export function closeAll(clients: (BenchClient | undefined)[]): void {
  for (const client of clients) client?.close();
}
