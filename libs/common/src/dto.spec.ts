import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { IsDisplayName, IsNormalizedEmail, normalizeEmail } from './dto';

describe('normalizeEmail', () => {
  it('trims, folds compatibility forms (NFKC) and lower-cases', () => {
    expect(normalizeEmail('  Xavier@Example.COM ')).toBe('xavier@example.com');
    expect(normalizeEmail('ｘavier@example.com')).toBe('xavier@example.com'); // full-width x
    expect(normalizeEmail('ＸＡＶＩＥＲ＠ＥＸＡＭＰＬＥ．ＣＯＭ')).toBe('xavier@example.com');
  });

  it('writes an internationalised domain in punycode, as DNS knows it', () => {
    expect(normalizeEmail('anna@Bücher.example')).toBe('anna@xn--bcher-kva.example');
    expect(normalizeEmail('anna@xn--bcher-kva.example')).toBe('anna@xn--bcher-kva.example');
    expect(normalizeEmail('анна@пример.рф')).toBe('анна@xn--e1afmkfd.xn--p1ai');
  });

  it('leaves what is not an address for the validator to refuse', () => {
    expect(normalizeEmail('no at sign')).toBe('no at sign');
  });
});

class Probe {
  @IsNormalizedEmail()
  email: string;

  @IsDisplayName()
  name: string;
}

const problems = (plain: object) =>
  validateSync(plainToInstance(Probe, plain)).flatMap((e) => Object.values(e.constraints ?? {}));

describe('IsDisplayName', () => {
  it('accepts names in any script, emoji included', () => {
    expect(problems({ email: 'a@example.com', name: 'Zoë 李 😀' })).toEqual([]);
  });

  it.each([
    ['a right-to-left override', 'evil\u202egnp.exe'],
    ['a bidi isolate', 'a\u2066b'],
    ['a C0 control', 'tab\there'],
    ['a C1 control', 'a\u0085b'],
    ['DEL', 'a\u007fb'],
  ])('refuses %s', (_label, name) => {
    expect(problems({ email: 'a@example.com', name })).toEqual([
      'name must not contain control or bidirectional override characters',
    ]);
  });
});
