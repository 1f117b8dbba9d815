import { webcrypto } from 'node:crypto';
import { io, Socket } from 'socket.io-client';

export interface TestUser {
  name: string;
  email: string;
  password: string;
  publicKey: string; // base64 DER spki
  privateKey: webcrypto.CryptoKey;
  cryptoPublicKey: webcrypto.CryptoKey;
  token: string;
  refreshToken: string;
}

const RSA_OAEP = {
  name: 'RSA-OAEP',
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: 'SHA-256',
} as const;

let cachedKeys: Promise<webcrypto.CryptoKeyPair> | undefined;

/** A client's RSA-OAEP-2048/SHA-256 key pair, made with WebCrypto as a browser would. */
export function generateKeyPair(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(RSA_OAEP, true, ['encrypt', 'decrypt']);
}

export async function exportPublicKey(key: webcrypto.CryptoKey): Promise<string> {
  return Buffer.from(await webcrypto.subtle.exportKey('spki', key)).toString('base64');
}

let counter = 0;
export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}${++counter}.${process.pid}.${Date.now()}@example.com`;
}

export async function postJson(
  baseUrl: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
  };
}

/**
 * Registers a user with a fresh key pair (or, with `sharedKeys`, one pair reused across users to
 * save time in load tests) and returns everything a client holds.
 */
export async function registerUser(
  baseUrl: string,
  options: { name?: string; email?: string; sharedKeys?: boolean } = {},
): Promise<TestUser> {
  const keys = options.sharedKeys
    ? await (cachedKeys ??= generateKeyPair())
    : await generateKeyPair();
  const user = {
    name: options.name ?? 'Test User',
    email: options.email ?? uniqueEmail(),
    password: 'correct horse battery',
    publicKey: await exportPublicKey(keys.publicKey),
  };
  const res = await postJson(baseUrl, '/auth/register', user);
  if (res.status !== 201)
    throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return {
    ...user,
    email: (res.body.user as { email: string }).email,
    privateKey: keys.privateKey,
    cryptoPublicKey: keys.publicKey,
    token: res.body.accessToken as string,
    refreshToken: res.body.refreshToken as string,
  };
}

/** Opens an authenticated socket and waits until it is connected (or rejects with connect_error). */
export function connect(baseUrl: string, token: string | undefined): Promise<Socket> {
  const socket = io(baseUrl, {
    auth: token === undefined ? {} : { token },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

/** The message of the connect_error a socket gets. */
export async function connectError(baseUrl: string, token: string | undefined): Promise<string> {
  try {
    const socket = await connect(baseUrl, token);
    socket.close();
    return 'connected';
  } catch (err) {
    return (err as Error).message;
  }
}

export type Ack = { status: 'OK' | 'ERROR'; error?: string; [k: string]: unknown };

export function emitAck(socket: Socket, event: string, ...args: unknown[]): Promise<Ack> {
  return socket.timeout(10_000).emitWithAck(event, ...args) as Promise<Ack>;
}

/** Resolves with the next `event` the socket receives (and its ack callback, if any). */
export function nextEvent<T = Record<string, unknown>>(
  socket: Socket,
  event: string,
  timeoutMs = 10_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, handler);
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const handler = (payload: T) => {
      clearTimeout(timer);
      resolve(payload);
    };
    socket.once(event, handler);
  });
}
