import { randomBytes } from 'node:crypto';
import { io, Socket } from 'socket.io-client';
import { forEachLimited } from './load';
import type { BenchGroup, BenchUser } from './population';

const CONNECT_TIMEOUT_MS = 15_000;
const CONNECT_PARALLEL = 50;

/** The fields of a chat message besides its target and ciphertext, as a client sends them. */
const CHAT_FIELDS = { date: '25/11/2026', time: '12:00', messageType: 'text' } as const;

export interface Ack {
  status: 'OK' | 'ERROR';
  error?: string;
}

/** How one side of the comparison is spoken to: Bowl's protocol, or the bare relay's. */
export interface Protocol {
  auth(user: BenchUser, groups: readonly BenchGroup[]): object;
  /** Emitted by the server once the connection is set up (Bowl: after its connect work). */
  welcome?: string;
  /** Events that carry a message to its recipient. */
  inbound: readonly string[];
  /** Acknowledges a received message as a client must, and returns its ciphertext. */
  accept(socket: Socket, payload: unknown, ack: unknown): string | undefined;
  direct(to: BenchUser, message: string, clientMessageId: string): [string, object];
  group(group: BenchGroup, message: string, clientMessageId: string): [string, object];
}

export const bowlProtocol: Protocol = {
  auth: (user) => ({ token: user.token }),
  welcome: 'onlineChats',
  inbound: ['contactChatMessage', 'groupChatMessage'],
  accept: (_socket, payload, ack) => {
    if (typeof ack === 'function') ack({ status: 'OK' });
    return (payload as { message?: string } | null)?.message;
  },
  direct: (to, message, clientMessageId) => [
    'contactChatMessage',
    { ...CHAT_FIELDS, to: to.email, message, clientMessageId },
  ],
  group: (group, message, clientMessageId) => [
    'groupChatMessage',
    { ...CHAT_FIELDS, groupId: group.id, message, clientMessageId },
  ],
};

/** See relay.ts: rooms are user emails and group ids. */
export const relayProtocol: Protocol = {
  auth: (user, groups) => ({ user: user.email, rooms: groups.map((g) => g.id) }),
  inbound: ['msg'],
  accept: (socket, payload) => {
    const body = (payload as { payload?: { message?: string; clientMessageId?: string } } | null)
      ?.payload;
    socket.emit('ack', body?.clientMessageId);
    return body?.message;
  },
  direct: (to, message, clientMessageId) => [
    'send',
    { to: to.email, payload: { ...CHAT_FIELDS, message, clientMessageId } },
  ],
  group: (group, message, clientMessageId) => [
    'send',
    { to: group.id, payload: { ...CHAT_FIELDS, message, clientMessageId } },
  ],
};

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+';
let filler = '';

/**
 * A stand-in ciphertext of exactly `bytes` base64 characters that starts with `<id>/`, so the
 * recipient can tell which send it is without parsing more than that.
 */
export function ciphertext(id: number, bytes: number): string {
  const head = `${id}/`;
  if (filler.length < bytes) {
    filler = Array.from(randomBytes(bytes), (b) => BASE64[b % BASE64.length]).join('');
  }
  return head + filler.slice(0, Math.max(0, bytes - head.length));
}

/** The send id a ciphertext made by `ciphertext` carries; NaN for anything else. */
export function idOf(message: unknown): number {
  if (typeof message !== 'string') return NaN;
  const end = message.indexOf('/');
  return end > 0 ? Number(message.slice(0, end)) : NaN;
}

/** One user's socket.io connection; every message it receives is acknowledged at once. */
export class BenchSocket {
  private constructor(private readonly socket: Socket) {}

  /**
   * Connects with `onMessage` listening before the handshake (so no queued message is missed)
   * and resolves once the server's welcome event (if any) has arrived.
   */
  static connect(
    url: string,
    protocol: Protocol,
    auth: object,
    onMessage?: (id: number) => void,
  ): Promise<BenchSocket> {
    const socket = io(url, {
      auth,
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      autoConnect: false,
      timeout: CONNECT_TIMEOUT_MS,
    });
    for (const event of protocol.inbound) {
      socket.on(event, (payload: unknown, ack?: unknown) => {
        const message = protocol.accept(socket, payload, ack);
        onMessage?.(idOf(message));
      });
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.close();
        reject(new Error(`${url} did not welcome a socket within ${CONNECT_TIMEOUT_MS} ms`));
      }, CONNECT_TIMEOUT_MS);
      const done = () => {
        clearTimeout(timer);
        resolve(new BenchSocket(socket));
      };
      if (protocol.welcome) socket.once(protocol.welcome, done);
      else socket.once('connect', done);
      socket.once('connect_error', (err: Error) => {
        clearTimeout(timer);
        socket.close();
        reject(new Error(`could not connect to ${url}: ${err.message}`));
      });
      socket.connect();
    });
  }

  /** Emits `[event, payload]` and resolves with the ack; rejects on timeout or disconnection. */
  async send([event, payload]: [string, object], timeoutMs: number): Promise<Ack> {
    const reply = (await this.socket.timeout(timeoutMs).emitWithAck(event, payload)) as unknown;
    const ack = reply as Partial<Ack> | null;
    if (ack?.status !== 'OK' && ack?.status !== 'ERROR') {
      throw new Error(`${event}: unexpected ack ${JSON.stringify(reply)}`);
    }
    return ack as Ack;
  }

  close(): void {
    this.socket.close();
  }
}

/** Connects `users[i]` to `urlOf(i)`, a few handshakes at a time; all or none. */
export async function connectAll(
  users: readonly BenchUser[],
  urlOf: (index: number) => string,
  protocol: Protocol,
  groups: readonly BenchGroup[] = [],
  onMessage?: (index: number, id: number) => void,
): Promise<BenchSocket[]> {
  const sockets: BenchSocket[] = [];
  try {
    await forEachLimited(users.length, CONNECT_PARALLEL, async (i) => {
      sockets[i] = await BenchSocket.connect(
        urlOf(i),
        protocol,
        protocol.auth(users[i], groups),
        onMessage && ((id) => onMessage(i, id)),
      );
    });
  } catch (err) {
    closeAll(sockets);
    throw err;
  }
  return sockets;
}

export function closeAll(sockets: readonly (BenchSocket | undefined)[]): void {
  for (const socket of sockets) socket?.close();
}
