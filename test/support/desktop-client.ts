import {
  constants,
  createCipheriv,
  createDecipheriv,
  generateKeyPairSync,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
} from 'node:crypto';
import { io, Socket } from 'socket.io-client-desktop';
import type { Ack } from './clients';
import { RecordingSocket, recordEvents } from './fleet';

/**
 * Bowl Desktop as it speaks to its server (bowl-org/bowl-desktop, socket.io-client 4.5.4): HTTP
 * under its build-time prefix, the socket under `<prefix>/socket.io` with the token in the
 * `token` header and the default transports (polling first), every payload a JSON string, chat
 * messages received as JSON strings and never acknowledged, dates unpadded. Its cryptography, done
 * with node:crypto as its Electron main process does it, is here too.
 */

/** The desktop's key pair: the public key as base64 DER spki, the private key as PKCS#8 PEM. */
export interface DesktopKeys {
  publicKey: string;
  privateKey: string;
}

export function desktopKeyPair(): DesktopKeys {
  const pair = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { publicKey: pair.publicKey.toString('base64'), privateKey: pair.privateKey };
}

/** RSA PKCS#1 v1.5 under a public key the desktop has wrapped in PEM armour on one line. */
export function encryptData(publicKey: string, text: string): string {
  const pem = `-----BEGIN PUBLIC KEY-----\n${publicKey}\n-----END PUBLIC KEY-----`;
  return publicEncrypt(
    { key: pem, padding: constants.RSA_PKCS1_PADDING },
    Buffer.from(text, 'utf-8'),
  ).toString('base64');
}

/**
 * RSA PKCS#1 v1.5 decryption. The desktop's Electron (Node 14) does it with RSA_PKCS1_PADDING;
 * Node 20 refuses that padding for private decryption (CVE-2023-46809), so the padding
 * (00 02 <non-zero bytes> 00 <message>, RFC 8017 7.2.2) is removed here.
 */
export function decryptData(privateKey: string, ciphertext: string): string {
  const block = privateDecrypt(
    { key: privateKey, padding: constants.RSA_NO_PADDING },
    Buffer.from(ciphertext, 'base64'),
  );
  const end = block.indexOf(0, 2);
  if (block[0] !== 0 || block[1] !== 2 || end < 10) throw new Error('not PKCS#1 v1.5 padding');
  return block.subarray(end + 1).toString('utf-8');
}

/** The desktop's group key: 32 random bytes, base64. */
export const generateKey = (): string => randomBytes(32).toString('base64');

/** The desktop's group cipher: AES-256-CBC with its fixed IV of sixteen ASCII zeros. */
const IV = '0000000000000000';

export function encryptSym(key: string, text: string): string {
  const cipher = createCipheriv('aes-256-cbc', Buffer.from(key, 'base64'), IV);
  return cipher.update(text, 'utf8', 'base64') + cipher.final('base64');
}

export function decryptSym(key: string, ciphertext: string): string {
  const decipher = createDecipheriv('aes-256-cbc', Buffer.from(key, 'base64'), IV);
  return decipher.update(ciphertext, 'base64', 'utf8') + decipher.final('utf8');
}

/** A date and time as the desktop writes them: `D/M/YYYY` unpadded, `HH:MM` padded. */
export function desktopTimestamp(when: Date): { date: string; time: string } {
  const twoDigits = (n: number) => String(n).padStart(2, '0');
  return {
    date: `${when.getDate()}/${when.getMonth() + 1}/${when.getFullYear()}`,
    time: `${twoDigits(when.getHours())}:${twoDigits(when.getMinutes())}`,
  };
}

export interface HttpReply {
  status: number;
  headers: Headers;
  body: unknown;
}

/**
 * The desktop's HTTP calls (its apiService, through axios): `<base><prefix><path>`, JSON bodies,
 * the bare token in `Authorization`. `clientAddress` stands for the machine it runs on (sent as
 * X-Forwarded-For; the gateway trusts one proxy in these tests).
 */
export class DesktopApi {
  constructor(
    private readonly baseUrl: string,
    private readonly prefix: string,
    private readonly clientAddress: string,
  ) {}

  signUp(user: { name: string; email: string; password: string; public_key: string }) {
    return this.call('POST', '/signup', user);
  }

  /** What its login form sends: the whole local user record, password included. */
  logIn(email: string, password: string, record: Record<string, unknown> = {}) {
    const userModel = { id: 0, name: '', email: '', publicKey: '', personId: 0, privateKey: '' };
    return this.call('POST', '/login', { ...userModel, ...record, email, password });
  }

  updateUser(token: string, changes: { public_key?: string; name?: string }) {
    return this.call('PUT', '/user/update', changes, token);
  }

  getUserDetails(email: string) {
    return this.call('GET', `/user/getUserDetails?email=${email}`);
  }

  createGroup(token: string, group: { name: string; description: string }) {
    return this.call('POST', '/groupChat', group, token);
  }

  forgotPassword(email: string) {
    return this.call('POST', '/forgotpassword', { email });
  }

  async call(method: string, path: string, body?: unknown, token?: string): Promise<HttpReply> {
    const headers: Record<string, string> = {
      accept: 'application/json, text/plain, */*',
      'x-forwarded-for': this.clientAddress,
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token !== undefined) headers.authorization = token;
    const res = await fetch(`${this.baseUrl}${this.prefix}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  }
}

export type DesktopSocket = RecordingSocket<Socket> & {
  /** Emits `event` with the payload as a JSON string, as the desktop does; resolves to the ack. */
  send(event: string, payload: object): Promise<Ack>;
  /** The chat messages received so far as the desktop reads them (`JSON.parse` of the string). */
  messages(event: 'contactChatMessage' | 'groupChatMessage'): Record<string, unknown>[];
};

/**
 * A desktop socket: its socket.io client, path, header and default transports (each desktop is a
 * process of its own, hence forceNew). Nothing it receives is acknowledged.
 */
export async function connectDesktop(
  baseUrl: string,
  prefix: string,
  token: string,
  options: { reconnection?: boolean } = {},
): Promise<DesktopSocket> {
  const socket = io(baseUrl, {
    path: `${prefix}/socket.io`,
    extraHeaders: { token },
    forceNew: true,
    reconnection: options.reconnection ?? true,
  });
  let recording: RecordingSocket<Socket>;
  try {
    recording = await recordEvents(socket);
  } catch (err) {
    socket.close();
    throw err;
  }
  return Object.assign(recording, {
    send: (event: string, payload: object) =>
      new Promise<Ack>((resolve, reject) =>
        socket
          .timeout(10_000)
          .emit(event, JSON.stringify(payload), (err: Error | null, ack: Ack) =>
            err ? reject(err) : resolve(ack),
          ),
      ),
    messages: (event: 'contactChatMessage' | 'groupChatMessage') =>
      recording.events
        .filter((e) => e.event === event)
        .map((e) => JSON.parse(e.payload as unknown as string) as Record<string, unknown>),
  });
}
