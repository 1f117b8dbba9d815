import { generateKeyPairSync } from 'node:crypto';
import { publicKeyProblem } from './public-key';

const der = (key: import('node:crypto').KeyObject) =>
  key.export({ format: 'der', type: 'spki' }).toString('base64');

describe('publicKeyProblem', () => {
  it('accepts an RSA key of 2048 bits or more', () => {
    expect(
      publicKeyProblem(der(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey)),
    ).toBeNull();
  });

  it('explains what is wrong', () => {
    expect(
      publicKeyProblem(der(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey)),
    ).toBe('publicKey must be at least 2048 bits, got 1024');
    expect(publicKeyProblem(der(generateKeyPairSync('ed25519').publicKey))).toBe(
      'publicKey must be an RSA key, got ed25519',
    );
    expect(publicKeyProblem(Buffer.from('garbage').toString('base64'))).toMatch(
      /DER SubjectPublicKeyInfo/,
    );
  });
});
