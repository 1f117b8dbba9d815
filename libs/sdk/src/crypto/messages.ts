import { AES_256_GCM, seal, unseal } from './aes.js';
import { bytesOf, concat, randomBytes, subtle, toBase64 } from './bytes.js';
import { CiphertextFormatError, decodeEnvelope, Format } from './format.js';
import { rsaDecrypt, rsaEncrypt } from './keys.js';

/** RSA-OAEP with SHA-256 holds at most modulus bytes − 2·32 − 2 of plaintext (190 for 2048 bits). */
const OAEP_SHA256_OVERHEAD = 2 * 32 + 2;
const AES_KEY_BYTES = 32;
/** Format byte and the wrapped key's length (uint16, big-endian) before the wrapped key. */
const HYBRID_PREFIX_BYTES = 3;

/** Largest plaintext, in bytes, that fits in one RSA-OAEP block of this public key. */
export function rsaCapacity(publicKey: CryptoKey): number {
  const { modulusLength } = publicKey.algorithm as RsaHashedKeyAlgorithm;
  return modulusLength / 8 - OAEP_SHA256_OVERHEAD;
}

/**
 * A 1:1 message for the holder of `publicKey`: RSA-OAEP alone (format 0x01) when the plaintext
 * fits, else a hybrid envelope (0x02) of a fresh AES-256-GCM key wrapped with RSA-OAEP. Strings
 * are encrypted as UTF-8. Returns the base64 `message` field.
 */
export async function encryptMessage(
  publicKey: CryptoKey,
  plaintext: string | Uint8Array,
): Promise<string> {
  const data = bytesOf(plaintext);
  if (data.length <= rsaCapacity(publicKey)) {
    return toBase64(concat([Format.rsaMessage], await rsaEncrypt(publicKey, data)));
  }
  const rawKey = randomBytes(AES_KEY_BYTES);
  const wrappedKey = await rsaEncrypt(publicKey, rawKey);
  const header = concat(
    [Format.hybridMessage, wrappedKey.length >> 8, wrappedKey.length & 0xff],
    wrappedKey,
  );
  const key = await subtle().importKey('raw', rawKey, AES_256_GCM, false, ['encrypt']);
  return toBase64(await seal(key, header, data));
}

/** The plaintext bytes of a 1:1 message made by encryptMessage for our key pair. */
export async function decryptMessage(
  privateKey: CryptoKey,
  ciphertext: string,
): Promise<Uint8Array<ArrayBuffer>> {
  const bytes = decodeEnvelope(ciphertext, [Format.rsaMessage, Format.hybridMessage], 'message');
  if (bytes[0] === Format.rsaMessage) return rsaDecrypt(privateKey, bytes.subarray(1));
  const wrappedLength = (bytes[1] << 8) | bytes[2];
  const headerLength = HYBRID_PREFIX_BYTES + wrappedLength;
  if (bytes.length < headerLength) throw new CiphertextFormatError('message is truncated');
  const rawKey = await rsaDecrypt(privateKey, bytes.subarray(HYBRID_PREFIX_BYTES, headerLength));
  if (rawKey.length !== AES_KEY_BYTES)
    throw new CiphertextFormatError('message key is not 256 bits');
  const key = await subtle().importKey('raw', rawKey, AES_256_GCM, false, ['decrypt']);
  return unseal(key, bytes, headerLength, 'message');
}
