import { AES_256_GCM, seal, unseal } from './aes.js';
import { bytesOf, concat, subtle, toBase64 } from './bytes.js';
import { CiphertextFormatError, decodeEnvelope, Format } from './format.js';
import { rsaDecrypt, rsaEncrypt } from './keys.js';

const GROUP_KEY_BYTES = 32;

/** A new group's AES-256-GCM key; extractable, so it can be wrapped for each new member. */
export function createGroupKey(): Promise<CryptoKey> {
  return subtle().generateKey(AES_256_GCM, true, ['encrypt', 'decrypt']);
}

/**
 * The group key wrapped with one member's public key (format 0x04): the `encryptedGroupKey` of
 * createGroup (wrapped for oneself) and sendGroupRequest (wrapped for the invitee).
 */
export async function wrapGroupKey(groupKey: CryptoKey, publicKey: CryptoKey): Promise<string> {
  const raw = new Uint8Array(await subtle().exportKey('raw', groupKey));
  return toBase64(concat([Format.wrappedGroupKey], await rsaEncrypt(publicKey, raw)));
}

/** The group key from an `encryptedGroupKey` wrapped for our key pair. */
export async function unwrapGroupKey(wrapped: string, privateKey: CryptoKey): Promise<CryptoKey> {
  const bytes = decodeEnvelope(wrapped, [Format.wrappedGroupKey], 'encryptedGroupKey');
  const raw = await rsaDecrypt(privateKey, bytes.subarray(1));
  if (raw.length !== GROUP_KEY_BYTES) throw new CiphertextFormatError('group key is not 256 bits');
  return subtle().importKey('raw', raw, AES_256_GCM, true, ['encrypt', 'decrypt']);
}

/** A group message (format 0x03) under the group key; strings are encrypted as UTF-8. */
export async function encryptGroupMessage(
  groupKey: CryptoKey,
  plaintext: string | Uint8Array,
): Promise<string> {
  return toBase64(await seal(groupKey, concat([Format.groupMessage]), bytesOf(plaintext)));
}

/** The plaintext bytes of a group message made by encryptGroupMessage with this group key. */
export async function decryptGroupMessage(
  groupKey: CryptoKey,
  ciphertext: string,
): Promise<Uint8Array<ArrayBuffer>> {
  const bytes = decodeEnvelope(ciphertext, [Format.groupMessage], 'group message');
  return unseal(groupKey, bytes, 1, 'group message');
}
