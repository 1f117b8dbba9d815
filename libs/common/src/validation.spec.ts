import { findLoneSurrogate } from './validation';

describe('findLoneSurrogate', () => {
  it('accepts well-formed text, astral characters (surrogate pairs) included', () => {
    expect(findLoneSurrogate({ name: 'ok 😀 ｘ', nested: { list: ['a', { b: '𝄞' }] } })).toBe(
      undefined,
    );
  });

  it('names the top-level field holding a lone high or low surrogate, at any depth', () => {
    expect(findLoneSurrogate({ name: 'g\udfff' })).toBe('name');
    expect(findLoneSurrogate({ a: 1, messageType: { parts: ['x', '\ud800y'] } })).toBe(
      'messageType',
    );
    expect(findLoneSurrogate({ messageType: { ['k\udc00']: 1 } })).toBe('messageType');
    expect(findLoneSurrogate({ ['\ud800']: 1 })).toBe('payload');
  });

  it('walks very deep nesting without exhausting the stack', () => {
    let deep: unknown = 'bad\ud800';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findLoneSurrogate({ deep })).toBe('deep');
  });
});
