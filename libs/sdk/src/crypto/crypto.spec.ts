import * as nodeCrypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CiphertextFormatError,
  createGroupKey,
  decryptGroupMessage,
  decryptMessage,
  DecryptionError,
  encryptGroupMessage,
  encryptMessage,
  exportPrivateKey,
  exportPublicKey,
  fromBase64,
  generateKeyPair,
  importPrivateKey,
  importPublicKey,
  PBKDF2_ITERATIONS,
  rsaCapacity,
  toBase64,
  unwrapGroupKey,
  wrapGroupKey,
} from './index';

const vectors = JSON.parse(readFileSync(join(__dirname, 'test-vectors.json'), 'utf8')) as {
  publicKey: string;
  passphrase: string;
  wrappedPrivateKey: string;
  groupKey: string;
  wrappedGroupKey: string;
} & Record<
  'rsaMessage' | 'hybridMessage' | 'groupMessage',
  { plaintext: string; ciphertext: string }
>;

/**
 * The SDK's crypto (real WebCrypto of Node 20) against itself, against fixed vectors, and against
 * an independent implementation of docs/crypto.md written below with node:crypto.
 */

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const b64 = (s: string) => Buffer.from(s, 'base64');
/** Low PBKDF2 cost where the count itself is not under test. */
const FAST_ITERATIONS = 1000;

// -------------------------------------------------- docs/crypto.md, written with node:crypto

const reference = {
  oaepEncrypt: (spkiBase64: string, data: Buffer) =>
    nodeCrypto.publicEncrypt(
      {
        key: nodeCrypto.createPublicKey({ key: b64(spkiBase64), format: 'der', type: 'spki' }),
        padding: nodeCrypto.constants.RSA_PKCS1_OAEP_PADDING,
        oaepHash: 'sha256',
      },
      data,
    ),
  oaepDecrypt: (key: nodeCrypto.KeyObject, data: Buffer) =>
    nodeCrypto.privateDecrypt(
      { key, padding: nodeCrypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      data,
    ),
  /** header ‖ IV ‖ AES-256-GCM(plaintext, AAD = header) ‖ tag */
  seal(key: Buffer, header: Buffer, plaintext: Buffer): Buffer {
    const iv = nodeCrypto.randomBytes(12);
    const cipher = nodeCrypto.createCipheriv('aes-256-gcm', key, iv).setAAD(header);
    const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return Buffer.concat([header, iv, body]);
  },
  open(key: Buffer, bytes: Buffer, headerLength: number): Buffer {
    const iv = bytes.subarray(headerLength, headerLength + 12);
    const decipher = nodeCrypto
      .createDecipheriv('aes-256-gcm', key, iv)
      .setAAD(bytes.subarray(0, headerLength));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    return Buffer.concat([
      decipher.update(bytes.subarray(headerLength + 12, -16)),
      decipher.final(),
    ]);
  },
  /** 0x01 or 0x02, as a writer following the document would choose. */
  encryptMessage(spkiBase64: string, plaintext: Buffer): string {
    if (plaintext.length <= 256 - 66) {
      return Buffer.concat([Buffer.of(0x01), this.oaepEncrypt(spkiBase64, plaintext)]).toString(
        'base64',
      );
    }
    const key = nodeCrypto.randomBytes(32);
    const wrapped = this.oaepEncrypt(spkiBase64, key);
    const header = Buffer.concat([
      Buffer.of(0x02, wrapped.length >> 8, wrapped.length & 0xff),
      wrapped,
    ]);
    return this.seal(key, header, plaintext).toString('base64');
  },
  decryptMessage(privateKey: nodeCrypto.KeyObject, ciphertext: string): Buffer {
    const bytes = b64(ciphertext);
    if (bytes[0] === 0x01) return this.oaepDecrypt(privateKey, bytes.subarray(1));
    expect(bytes[0]).toBe(0x02);
    const length = bytes.readUInt16BE(1);
    const key = this.oaepDecrypt(privateKey, bytes.subarray(3, 3 + length));
    return this.open(key, bytes, 3 + length);
  },
  wrapPrivateKey(pkcs8: Buffer, passphrase: string, iterations: number): string {
    const salt = nodeCrypto.randomBytes(16);
    const header = Buffer.alloc(21);
    header[0] = 0x05;
    header.writeUInt32BE(iterations, 1);
    salt.copy(header, 5);
    const kek = nodeCrypto.pbkdf2Sync(
      Buffer.from(passphrase, 'utf8'),
      salt,
      iterations,
      32,
      'sha256',
    );
    return this.seal(kek, header, pkcs8).toString('base64');
  },
  unwrapPrivateKey(wrapped: string, passphrase: string): nodeCrypto.KeyObject {
    const bytes = b64(wrapped);
    expect(bytes[0]).toBe(0x05);
    const iterations = bytes.readUInt32BE(1);
    const kek = nodeCrypto.pbkdf2Sync(passphrase, bytes.subarray(5, 21), iterations, 32, 'sha256');
    const pkcs8 = this.open(kek, bytes, 21);
    return nodeCrypto.createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  },
};

/** A key pair made by node:crypto, and the SDK's handle on it (imported the documented way). */
async function nodeKeyPair() {
  const { publicKey, privateKey } = nodeCrypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const spki = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
  const wrapped = reference.wrapPrivateKey(pkcs8, 'pw', FAST_ITERATIONS);
  return { spki, privateKey, sdkPrivateKey: await importPrivateKey(wrapped, 'pw') };
}

// ----------------------------------------------------------------------------------- tests

describe('SDK crypto', () => {
  let keys: CryptoKeyPair;
  let publicKey: string;
  let other: CryptoKeyPair;

  beforeAll(async () => {
    [keys, other] = await Promise.all([generateKeyPair(), generateKeyPair()]);
    publicKey = await exportPublicKey(keys.publicKey);
  });

  describe('base64', () => {
    it('round-trips every byte value and refuses non-standard base64', () => {
      const all = Uint8Array.from({ length: 256 }, (_, i) => i);
      expect(toBase64(all)).toBe(Buffer.from(all).toString('base64'));
      expect(fromBase64(toBase64(all))).toEqual(all);
      expect(fromBase64('')).toEqual(new Uint8Array(0));
      for (const bad of ['abc', 'ab=c', 'a-_b', 'YW Jj', 'YWJj\n', '====']) {
        expect([bad, fromBase64(bad)]).toEqual([bad, null]);
      }
    });
  });

  describe('key pair and public key', () => {
    it('makes RSA-OAEP-2048/SHA-256 keys whose public half is base64 SPKI DER', async () => {
      expect(keys.publicKey.algorithm).toEqual({
        name: 'RSA-OAEP',
        modulusLength: 2048,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: { name: 'SHA-256' },
      });
      expect(publicKey).toMatch(/^MIIBIjANBgkqhkiG9w0BAQEF/);
      expect(b64(publicKey)).toHaveLength(294);
      const parsed = nodeCrypto.createPublicKey({
        key: b64(publicKey),
        format: 'der',
        type: 'spki',
      });
      expect([parsed.asymmetricKeyType, parsed.asymmetricKeyDetails?.modulusLength]).toEqual([
        'rsa',
        2048,
      ]);
    });

    it('imports a contact public key, and refuses what is not one', async () => {
      const imported = await importPublicKey(publicKey);
      expect(await exportPublicKey(imported)).toBe(publicKey);
      await expect(importPublicKey('not base64!')).rejects.toThrow(CiphertextFormatError);
      await expect(importPublicKey(toBase64(new Uint8Array([1, 2, 3])))).rejects.toThrow(
        'publicKey is not an RSA SubjectPublicKeyInfo',
      );
    });
  });

  describe('1:1 messages', () => {
    it('uses RSA-OAEP alone up to 190 bytes (0x01), the hybrid envelope beyond (0x02)', async () => {
      expect(rsaCapacity(keys.publicKey)).toBe(190);
      const fits = await encryptMessage(keys.publicKey, 'x'.repeat(190));
      expect([b64(fits)[0], b64(fits).length]).toEqual([0x01, 257]);
      const hybrid = await encryptMessage(keys.publicKey, 'x'.repeat(191));
      expect([b64(hybrid)[0], b64(hybrid).readUInt16BE(1), b64(hybrid).length]).toEqual([
        0x02,
        256,
        3 + 256 + 12 + 191 + 16,
      ]);
      expect(text(await decryptMessage(keys.privateKey, fits))).toBe('x'.repeat(190));
      expect(text(await decryptMessage(keys.privateKey, hybrid))).toBe('x'.repeat(191));
    });

    it('round-trips text (UTF-8) and bytes, short and long', async () => {
      const long = 'Ünïcødé 🍜 '.repeat(4000); // ~56 KB of UTF-8
      for (const plaintext of ['', 'hi', 'é🍜'.repeat(30), long]) {
        const ciphertext = await encryptMessage(keys.publicKey, plaintext);
        expect(text(await decryptMessage(keys.privateKey, ciphertext))).toBe(plaintext);
      }
      const bytes = nodeCrypto.randomBytes(1000);
      const sealed = await encryptMessage(keys.publicKey, bytes);
      expect(Buffer.from(await decryptMessage(keys.privateKey, sealed))).toEqual(bytes);
      // Fresh randomness every time: the same plaintext never gives the same ciphertext.
      expect(await encryptMessage(keys.publicKey, 'hi')).not.toBe(
        await encryptMessage(keys.publicKey, 'hi'),
      );
    });

    it('refuses the wrong key, tampering, and what is not a 1:1 message', async () => {
      const short = await encryptMessage(keys.publicKey, 'secret');
      const long = await encryptMessage(keys.publicKey, 'secret '.repeat(100));
      await expect(decryptMessage(other.privateKey, short)).rejects.toThrow(DecryptionError);
      await expect(decryptMessage(other.privateKey, long)).rejects.toThrow(DecryptionError);
      for (const ciphertext of [short, long]) {
        const bytes = b64(ciphertext);
        bytes[bytes.length - 1] ^= 1;
        await expect(decryptMessage(keys.privateKey, bytes.toString('base64'))).rejects.toThrow(
          DecryptionError,
        );
      }
      const groupMessage = await encryptGroupMessage(await createGroupKey(), 'x');
      await expect(decryptMessage(keys.privateKey, groupMessage)).rejects.toThrow(
        'message starts with format byte 0x03, expected 0x01 or 0x02',
      );
      await expect(decryptMessage(keys.privateKey, 'bm90IGJhc2U2NA')).rejects.toThrow(
        'message must be standard base64 of at least 2 bytes',
      );
      const truncated = b64(long).subarray(0, 100).toString('base64');
      await expect(decryptMessage(keys.privateKey, truncated)).rejects.toThrow(
        'message is truncated',
      );
    });
  });

  describe('group keys and messages', () => {
    it('wraps the group key per member (0x04) and round-trips group messages (0x03)', async () => {
      const groupKey = await createGroupKey();
      const wrapped = await wrapGroupKey(groupKey, keys.publicKey);
      expect([b64(wrapped)[0], b64(wrapped).length]).toEqual([0x04, 257]);
      expect(wrapped.length).toBeLessThanOrEqual(1024); // EncryptedGroupKey's maxLength
      const unwrapped = await unwrapGroupKey(wrapped, keys.privateKey);

      const ciphertext = await encryptGroupMessage(groupKey, 'hello group 👋');
      const bytes = b64(ciphertext);
      expect([bytes[0], bytes.length]).toEqual([
        0x03,
        1 + 12 + Buffer.byteLength('hello group 👋') + 16,
      ]);
      expect(text(await decryptGroupMessage(unwrapped, ciphertext))).toBe('hello group 👋');
      // Random 96-bit IV: two encryptions of the same text differ from byte 1 on.
      const again = b64(await encryptGroupMessage(groupKey, 'hello group 👋'));
      expect(again.subarray(1, 13).equals(bytes.subarray(1, 13))).toBe(false);
    });

    it('refuses the wrong group key or member key, tampering and a changed header', async () => {
      const groupKey = await createGroupKey();
      const ciphertext = await encryptGroupMessage(groupKey, 'x');
      await expect(decryptGroupMessage(await createGroupKey(), ciphertext)).rejects.toThrow(
        DecryptionError,
      );
      const tampered = b64(ciphertext);
      tampered[5] ^= 1;
      await expect(decryptGroupMessage(groupKey, tampered.toString('base64'))).rejects.toThrow(
        DecryptionError,
      );
      const wrapped = await wrapGroupKey(groupKey, keys.publicKey);
      await expect(unwrapGroupKey(wrapped, other.privateKey)).rejects.toThrow(DecryptionError);
      await expect(unwrapGroupKey(ciphertext, keys.privateKey)).rejects.toThrow(
        'encryptedGroupKey starts with format byte 0x03, expected 0x04',
      );
      const notAKey = b64(await encryptMessage(keys.publicKey, new Uint8Array(16)));
      notAKey[0] = 0x04;
      await expect(unwrapGroupKey(notAKey.toString('base64'), keys.privateKey)).rejects.toThrow(
        'group key is not 256 bits',
      );
    });
  });

  describe('private key under a passphrase', () => {
    it('round-trips with the default 600 000 PBKDF2 iterations stored in the header', async () => {
      expect(PBKDF2_ITERATIONS).toBe(600_000);
      const wrapped = await exportPrivateKey(keys.privateKey, 'pass phrase');
      const bytes = b64(wrapped);
      expect([bytes[0], bytes.readUInt32BE(1)]).toEqual([0x05, 600_000]);
      const restored = await importPrivateKey(wrapped, 'pass phrase');
      expect(restored.extractable).toBe(false);
      const ciphertext = await encryptMessage(keys.publicKey, 'still mine');
      expect(text(await decryptMessage(restored, ciphertext))).toBe('still mine');
    });

    it('refuses a wrong passphrase, a changed iteration count and absurd counts', async () => {
      const wrapped = await exportPrivateKey(keys.privateKey, 'right', FAST_ITERATIONS);
      await expect(importPrivateKey(wrapped, 'wrong')).rejects.toThrow(
        'cannot open the private key: wrong passphrase or damaged key',
      );
      const changed = b64(wrapped);
      changed.writeUInt32BE(FAST_ITERATIONS + 1, 1); // authenticated as additional data
      await expect(importPrivateKey(changed.toString('base64'), 'right')).rejects.toThrow(
        DecryptionError,
      );
      changed.writeUInt32BE(0xffffffff, 1);
      await expect(importPrivateKey(changed.toString('base64'), 'right')).rejects.toThrow(
        'wrapped private key claims 4294967295 iterations',
      );
      await expect(exportPrivateKey(keys.privateKey, 'x', 0)).rejects.toThrow(RangeError);
    });
  });

  describe('fixed vectors (test-vectors.json, made once with node:crypto)', () => {
    it('opens the committed private key, messages, group key and group message', async () => {
      const privateKey = await importPrivateKey(vectors.wrappedPrivateKey, vectors.passphrase);
      expect(text(await decryptMessage(privateKey, vectors.rsaMessage.ciphertext))).toBe(
        vectors.rsaMessage.plaintext,
      );
      expect(text(await decryptMessage(privateKey, vectors.hybridMessage.ciphertext))).toBe(
        vectors.hybridMessage.plaintext,
      );
      const groupKey = await unwrapGroupKey(vectors.wrappedGroupKey, privateKey);
      expect(toBase64(new Uint8Array(await crypto.subtle.exportKey('raw', groupKey)))).toBe(
        vectors.groupKey,
      );
      expect(text(await decryptGroupMessage(groupKey, vectors.groupMessage.ciphertext))).toBe(
        vectors.groupMessage.plaintext,
      );
      // The committed public key is the private key's other half.
      const mine = await encryptMessage(await importPublicKey(vectors.publicKey), 'round trip');
      expect(text(await decryptMessage(privateKey, mine))).toBe('round trip');
    });
  });

  describe('interop with docs/crypto.md (node:crypto on the other side)', () => {
    it('the SDK reads every layout assembled by hand', async () => {
      const { spki, sdkPrivateKey } = await nodeKeyPair();
      for (const plaintext of ['short', 'long '.repeat(100)]) {
        const ciphertext = reference.encryptMessage(spki, Buffer.from(plaintext));
        expect(text(await decryptMessage(sdkPrivateKey, ciphertext))).toBe(plaintext);
      }
      const raw = nodeCrypto.randomBytes(32);
      const wrapped = Buffer.concat([Buffer.of(0x04), reference.oaepEncrypt(spki, raw)]);
      const groupKey = await unwrapGroupKey(wrapped.toString('base64'), sdkPrivateKey);
      const groupMessage = reference.seal(raw, Buffer.of(0x03), Buffer.from('to the group'));
      expect(text(await decryptGroupMessage(groupKey, groupMessage.toString('base64')))).toBe(
        'to the group',
      );
    });

    it('node:crypto reads every layout the SDK writes', async () => {
      const { spki, privateKey } = await nodeKeyPair();
      const contactKey = await importPublicKey(spki);
      for (const plaintext of ['short', 'long '.repeat(100)]) {
        const ciphertext = await encryptMessage(contactKey, plaintext);
        expect(reference.decryptMessage(privateKey, ciphertext).toString()).toBe(plaintext);
      }
      const groupKey = await createGroupKey();
      const wrapped = b64(await wrapGroupKey(groupKey, contactKey));
      expect(wrapped[0]).toBe(0x04);
      const raw = reference.oaepDecrypt(privateKey, wrapped.subarray(1));
      const sealed = b64(await encryptGroupMessage(groupKey, 'from the SDK'));
      expect(sealed[0]).toBe(0x03);
      expect(reference.open(raw, sealed, 1).toString()).toBe('from the SDK');

      const exported = await exportPrivateKey(keys.privateKey, 'pw', FAST_ITERATIONS);
      const unwrapped = reference.unwrapPrivateKey(exported, 'pw');
      const forSdkKey = await encryptMessage(keys.publicKey, 'mine');
      expect(reference.decryptMessage(unwrapped, forSdkKey).toString()).toBe('mine');
    });
  });
});
