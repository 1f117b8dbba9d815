import { fromBase64 } from './bytes.js';

/**
 * The first byte of every ciphertext and wrapped key the SDK makes says which layout follows
 * (docs/crypto.md). A new layout gets a new byte, so old and new clients can tell them apart.
 */
export const Format = {
  /** `01 ‖ RSA-OAEP(plaintext)`: a 1:1 message short enough for RSA-OAEP alone. */
  rsaMessage: 0x01,
  /** `02 ‖ len ‖ RSA-OAEP(aes key) ‖ iv ‖ AES-GCM(plaintext)`: a longer 1:1 message. */
  hybridMessage: 0x02,
  /** `03 ‖ iv ‖ AES-GCM(plaintext)`: a group message, under the group key. */
  groupMessage: 0x03,
  /** `04 ‖ RSA-OAEP(group key)`: a group key wrapped for one member. */
  wrappedGroupKey: 0x04,
  /** `05 ‖ iterations ‖ salt ‖ iv ‖ AES-GCM(PKCS#8)`: a private key under a passphrase. */
  wrappedPrivateKey: 0x05,
} as const;

export type FormatByte = (typeof Format)[keyof typeof Format];

/** The input is not a ciphertext of the expected kind (wrong format byte, bad base64, truncated). */
export class CiphertextFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CiphertextFormatError';
  }
}

/** The ciphertext is well formed but does not open: wrong key or passphrase, or tampered with. */
export class DecryptionError extends Error {
  constructor(message = 'cannot decrypt: wrong key or damaged ciphertext') {
    super(message);
    this.name = 'DecryptionError';
  }
}

/** Runs a WebCrypto decryption, turning its opaque failure into a DecryptionError. */
export async function opening<T>(work: Promise<T>, message?: string): Promise<T> {
  try {
    return await work;
  } catch {
    throw new DecryptionError(message);
  }
}

const hex = (byte: number) => `0x${byte.toString(16).padStart(2, '0')}`;

/** Base64 `text` as bytes whose first byte is one of `formats`, or a CiphertextFormatError. */
export function decodeEnvelope(
  text: string,
  formats: readonly FormatByte[],
  what: string,
): Uint8Array<ArrayBuffer> {
  const bytes = fromBase64(text);
  if (!bytes || bytes.length < 2) {
    throw new CiphertextFormatError(`${what} must be standard base64 of at least 2 bytes`);
  }
  if (!(formats as readonly number[]).includes(bytes[0])) {
    throw new CiphertextFormatError(
      `${what} starts with format byte ${hex(bytes[0])}, expected ${formats.map(hex).join(' or ')}`,
    );
  }
  return bytes;
}
