export { fromBase64, toBase64 } from './bytes.js';
export { CiphertextFormatError, DecryptionError, Format } from './format.js';
export type { FormatByte } from './format.js';
export {
  exportPrivateKey,
  exportPublicKey,
  generateKeyPair,
  importPrivateKey,
  importPublicKey,
  PBKDF2_ITERATIONS,
} from './keys.js';
export { decryptMessage, encryptMessage, rsaCapacity } from './messages.js';
export {
  createGroupKey,
  decryptGroupMessage,
  encryptGroupMessage,
  unwrapGroupKey,
  wrapGroupKey,
} from './group.js';
