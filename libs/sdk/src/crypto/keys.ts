import { AES_256_GCM, seal, unseal } from './aes.js';
import { concat, fromBase64, randomBytes, subtle, toBase64 } from './bytes.js';
import { CiphertextFormatError, decodeEnvelope, Format, opening } from './format.js';

/** Every user's key pair: RSA-OAEP, 2048-bit modulus, exponent 65537, SHA-256 (OAEP and MGF1). */
const RSA_OAEP: RsaHashedKeyGenParams = {
  name: 'RSA-OAEP',
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: 'SHA-256',
};
const RSA_IMPORT: RsaHashedImportParams = { name: 'RSA-OAEP', hash: 'SHA-256' };

/** PBKDF2-HMAC-SHA-256 iterations for a passphrase-wrapped private key (OWASP, 2023). */
export const PBKDF2_ITERATIONS = 600_000;
/** Bounds accepted when importing, so a forged blob cannot make us loop for hours. */
const MAX_PBKDF2_ITERATIONS = 10_000_000;
const SALT_BYTES = 16;
/** Format byte, iteration count (uint32, big-endian) and salt. */
const PRIVATE_KEY_HEADER_BYTES = 1 + 4 + SALT_BYTES;

/** A fresh key pair; the private key is extractable only so that exportPrivateKey can wrap it. */
export function generateKeyPair(): Promise<CryptoKeyPair> {
  return subtle().generateKey(RSA_OAEP, true, ['encrypt', 'decrypt']);
}

/** The public key as base64 of its DER SubjectPublicKeyInfo: what POST /auth/register takes. */
export async function exportPublicKey(publicKey: CryptoKey): Promise<string> {
  return toBase64(new Uint8Array(await subtle().exportKey('spki', publicKey)));
}

/** A contact's public key (base64 SPKI DER, as the server relays it), ready to encrypt for. */
export async function importPublicKey(base64Spki: string): Promise<CryptoKey> {
  const der = fromBase64(base64Spki);
  if (!der) throw new CiphertextFormatError('publicKey must be standard base64');
  try {
    return await subtle().importKey('spki', der, RSA_IMPORT, true, ['encrypt']);
  } catch {
    throw new CiphertextFormatError('publicKey is not an RSA SubjectPublicKeyInfo');
  }
}

/**
 * The private key, wrapped with a key derived from `passphrase` (PBKDF2-HMAC-SHA-256, random
 * 16-byte salt, `iterations` rounds) using AES-256-GCM, in the layout `0x05` of docs/crypto.md.
 * Safe to store (IndexedDB, a file); only the passphrase opens it.
 */
export async function exportPrivateKey(
  privateKey: CryptoKey,
  passphrase: string,
  iterations = PBKDF2_ITERATIONS,
): Promise<string> {
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_PBKDF2_ITERATIONS) {
    throw new RangeError(`iterations must be an integer from 1 to ${MAX_PBKDF2_ITERATIONS}`);
  }
  const pkcs8 = new Uint8Array(await subtle().exportKey('pkcs8', privateKey));
  const salt = randomBytes(SALT_BYTES);
  const header = concat([Format.wrappedPrivateKey], uint32(iterations), salt);
  const kek = await passphraseKey(passphrase, salt, iterations);
  return toBase64(await seal(kek, header, pkcs8));
}

/** Opens what exportPrivateKey made; DecryptionError for a wrong passphrase. Not extractable. */
export async function importPrivateKey(wrapped: string, passphrase: string): Promise<CryptoKey> {
  const bytes = decodeEnvelope(wrapped, [Format.wrappedPrivateKey], 'wrapped private key');
  if (bytes.length < PRIVATE_KEY_HEADER_BYTES) {
    throw new CiphertextFormatError('wrapped private key is truncated');
  }
  const iterations = new DataView(bytes.buffer).getUint32(1);
  if (iterations < 1 || iterations > MAX_PBKDF2_ITERATIONS) {
    throw new CiphertextFormatError(`wrapped private key claims ${iterations} iterations`);
  }
  const salt = bytes.slice(5, PRIVATE_KEY_HEADER_BYTES);
  const kek = await passphraseKey(passphrase, salt, iterations);
  const pkcs8 = await unseal(
    kek,
    bytes,
    PRIVATE_KEY_HEADER_BYTES,
    'wrapped private key',
    'cannot open the private key: wrong passphrase or damaged key',
  );
  return subtle().importKey('pkcs8', pkcs8, RSA_IMPORT, false, ['decrypt']);
}

async function passphraseKey(
  passphrase: string,
  salt: Uint8Array<ArrayBuffer>,
  iterations: number,
): Promise<CryptoKey> {
  const material = await subtle().importKey(
    'raw',
    new TextEncoder().encode(passphrase),
    'PBKDF2',
    false,
    ['deriveKey'],
  );
  return subtle().deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt, iterations },
    material,
    AES_256_GCM,
    false,
    ['encrypt', 'decrypt'],
  );
}

function uint32(value: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value);
  return bytes;
}

/** RSA-OAEP encryption with a public key; the ciphertext is as long as the modulus. */
export async function rsaEncrypt(
  publicKey: CryptoKey,
  data: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await subtle().encrypt({ name: 'RSA-OAEP' }, publicKey, data));
}

export async function rsaDecrypt(
  privateKey: CryptoKey,
  data: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await opening(subtle().decrypt({ name: 'RSA-OAEP' }, privateKey, data)));
}
