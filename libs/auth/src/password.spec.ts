import { DUMMY_HASH, hashPassword, verifyPassword } from './password';

describe('password hashing (scrypt)', () => {
  it('verifies the right password and refuses a wrong one', async () => {
    const hash = await hashPassword('correct horse battery');
    expect(await verifyPassword('correct horse battery', hash)).toBe(true);
    expect(await verifyPassword('correct horse batterY', hash)).toBe(false);
  });

  it('salts every hash', async () => {
    expect(await hashPassword('same password')).not.toBe(await hashPassword('same password'));
  });

  it('never matches the dummy hash used for unknown accounts, nor a malformed one', async () => {
    expect(await verifyPassword('anything at all', DUMMY_HASH)).toBe(false);
    expect(await verifyPassword('anything at all', 'plain-text')).toBe(false);
  });
});
