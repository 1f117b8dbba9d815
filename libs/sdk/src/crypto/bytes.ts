/** Byte helpers shared by the crypto functions: base64, concatenation, UTF-8 and randomness. */

/** Standard base64 (RFC 4648 §4) with padding, as every Bowl field uses. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** Characters per String.fromCharCode call, well under every engine's argument limit. */
const CHUNK = 0x8000;

export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}

/** Decodes standard padded base64; null for anything else (whitespace, URL-safe, bad padding). */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> | null {
  if (typeof text !== 'string' || !BASE64.test(text)) return null;
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function concat(...parts: (Uint8Array | number[])[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** A string as UTF-8 bytes; bytes as they are. */
export function bytesOf(plaintext: string | Uint8Array): Uint8Array<ArrayBuffer> {
  return typeof plaintext === 'string'
    ? new TextEncoder().encode(plaintext)
    : new Uint8Array(plaintext);
}

export function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  return webCrypto().getRandomValues(new Uint8Array(length));
}

/** WebCrypto, which browsers only expose on secure pages (https:// or http://localhost). */
export function webCrypto(): Crypto {
  const crypto = globalThis.crypto;
  if (!crypto?.subtle) {
    throw new Error(
      'WebCrypto (crypto.subtle) is not available: browsers only provide it on https:// pages ' +
        'or http://localhost',
    );
  }
  return crypto;
}

export const subtle = (): SubtleCrypto => webCrypto().subtle;
