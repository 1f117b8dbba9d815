import { webcrypto } from 'node:crypto';

/**
 * The client-side cryptography of the tests, with WebCrypto as a browser client does it (the
 * server never looks inside):
 * - 1:1 `message`: base64(RSA-OAEP-2048/SHA-256(plaintext)) under the recipient's public key.
 * - group key: a fresh AES-256-GCM key; `encryptedGroupKey` = base64(RSA-OAEP(raw key)) under
 *   the public key of the member it is meant for.
 * - group `message`: base64(iv (12 bytes) || AES-GCM ciphertext with its 16-byte tag).
 */

const { subtle } = webcrypto;
type CryptoKey = webcrypto.CryptoKey;

export const b64 = (bytes: ArrayBuffer | Uint8Array) =>
  Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString('base64');
const fromB64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));

/** RSA-OAEP encryption with a public key as the protocol carries it (base64 DER spki). */
export async function rsaEncrypt(spkiBase64: string, data: Uint8Array | string): Promise<string> {
  const key = await subtle.importKey(
    'spki',
    fromB64(spkiBase64),
    { name: 'RSA-OAEP', hash: 'SHA-256' },
    false,
    ['encrypt'],
  );
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  return b64(await subtle.encrypt({ name: 'RSA-OAEP' }, key, bytes));
}

export async function rsaDecrypt(privateKey: CryptoKey, ciphertext: string): Promise<Uint8Array> {
  return new Uint8Array(
    await subtle.decrypt({ name: 'RSA-OAEP' }, privateKey, fromB64(ciphertext)),
  );
}

export async function rsaDecryptText(privateKey: CryptoKey, ciphertext: string): Promise<string> {
  return new TextDecoder().decode(await rsaDecrypt(privateKey, ciphertext));
}

export function newGroupKey(): Promise<CryptoKey> {
  return subtle.generateKey({ name: 'AES-GCM', length: 256 }, true, ['encrypt', 'decrypt']);
}

export async function rawKey(key: CryptoKey): Promise<Uint8Array> {
  return new Uint8Array(await subtle.exportKey('raw', key));
}

/** The group key wrapped for one member (RSA-OAEP of the raw key under their public key). */
export async function wrapGroupKey(groupKey: CryptoKey, memberPublicKey: string): Promise<string> {
  return rsaEncrypt(memberPublicKey, await rawKey(groupKey));
}

export async function unwrapGroupKey(privateKey: CryptoKey, wrapped: string): Promise<CryptoKey> {
  const raw = await rsaDecrypt(privateKey, wrapped);
  return subtle.importKey('raw', raw, { name: 'AES-GCM' }, true, ['encrypt', 'decrypt']);
}

export async function aesEncrypt(key: CryptoKey, plaintext: string): Promise<string> {
  const iv = webcrypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(
    await subtle.encrypt({ name: 'AES-GCM', iv }, key, new TextEncoder().encode(plaintext)),
  );
  return b64(Buffer.concat([iv, sealed]));
}

export async function aesDecrypt(key: CryptoKey, message: string): Promise<string> {
  const bytes = fromB64(message);
  const plain = await subtle.decrypt(
    { name: 'AES-GCM', iv: bytes.subarray(0, 12) },
    key,
    bytes.subarray(12),
  );
  return new TextDecoder().decode(plain);
}

/** Random bytes in base64: a stand-in for a wrapped key the server must accept but never reads. */
export const randomWrappedKey = () => b64(webcrypto.getRandomValues(new Uint8Array(256)));
