import { concat, randomBytes, subtle } from './bytes.js';
import { CiphertextFormatError, opening } from './format.js';

/** AES-GCM's 96-bit IV and 128-bit tag, as every layout of docs/crypto.md uses them. */
export const IV_BYTES = 12;
const TAG_BYTES = 16;

export const AES_256_GCM: AesKeyGenParams = { name: 'AES-GCM', length: 256 };

/**
 * `header ‖ iv ‖ AES-GCM(plaintext) ‖ tag` with a fresh random IV; the header is authenticated
 * as additional data, so changing the format byte or any header field breaks decryption.
 */
export async function seal(
  key: CryptoKey,
  header: Uint8Array<ArrayBuffer>,
  plaintext: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  const iv = randomBytes(IV_BYTES);
  const sealed = await subtle().encrypt(
    { name: 'AES-GCM', iv, additionalData: header },
    key,
    plaintext,
  );
  return concat(header, iv, new Uint8Array(sealed));
}

/** Opens what seal made, given the header's length; DecryptionError when it does not open. */
export async function unseal(
  key: CryptoKey,
  bytes: Uint8Array<ArrayBuffer>,
  headerLength: number,
  what: string,
  failure?: string,
): Promise<Uint8Array<ArrayBuffer>> {
  if (bytes.length < headerLength + IV_BYTES + TAG_BYTES) {
    throw new CiphertextFormatError(`${what} is truncated`);
  }
  const additionalData = bytes.subarray(0, headerLength);
  const iv = bytes.subarray(headerLength, headerLength + IV_BYTES);
  const sealed = bytes.subarray(headerLength + IV_BYTES);
  const plaintext = await opening(
    subtle().decrypt({ name: 'AES-GCM', iv, additionalData }, key, sealed),
    failure,
  );
  return new Uint8Array(plaintext);
}
