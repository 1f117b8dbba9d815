import { createPublicKey } from 'node:crypto';

export const MIN_RSA_BITS = 2048;

/**
 * Why `publicKey` (base64 of a DER SubjectPublicKeyInfo) is not an acceptable RSA key of at
 * least 2048 bits, or null when it is.
 */
export function publicKeyProblem(base64: string): string | null {
  let key;
  try {
    key = createPublicKey({ key: Buffer.from(base64, 'base64'), format: 'der', type: 'spki' });
  } catch {
    return 'publicKey must be base64 of a DER SubjectPublicKeyInfo (spki) public key';
  }
  if (key.asymmetricKeyType !== 'rsa') {
    return `publicKey must be an RSA key, got ${key.asymmetricKeyType ?? 'an unknown type'}`;
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) return `publicKey must be at least ${MIN_RSA_BITS} bits, got ${bits}`;
  return null;
}
