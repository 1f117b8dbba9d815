import { BOWL_DIALECT, parseJsonPayload } from './socket-dialect';

describe('parseJsonPayload', () => {
  it('reads a string holding a JSON object as that object', () => {
    expect(parseJsonPayload('{"email":"a@example.com"}')).toEqual({ email: 'a@example.com' });
    expect(parseJsonPayload('  {"groupId":"x","n":[1,{"k":null}]} ')).toEqual({
      groupId: 'x',
      n: [1, { k: null }],
    });
    expect(parseJsonPayload('{}')).toEqual({});
  });

  it('keeps JSON own keys such as __proto__ as data (the pipe refuses them later)', () => {
    const parsed = parseJsonPayload('{"__proto__":{"isAdmin":true}}') as object;
    expect(Object.keys(parsed)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
  });

  it('leaves everything else as it is, for the pipe to refuse', () => {
    for (const value of ['a string', '', '[1,2]', '"x"', '42', 'null', '{not json', '{"a":1']) {
      expect(parseJsonPayload(value)).toBe(value);
    }
    const object = { email: 'a@example.com' };
    expect(parseJsonPayload(object)).toBe(object);
    for (const value of [undefined, null, 42, true]) expect(parseJsonPayload(value)).toBe(value);
  });
});

describe('BOWL_DIALECT', () => {
  it('takes the token from auth.token only', () => {
    expect(BOWL_DIALECT.tokenOf({ auth: { token: 'jwt' }, headers: {} })).toBe('jwt');
    expect(BOWL_DIALECT.tokenOf({ auth: {}, headers: { token: 'jwt' } })).toBeUndefined();
  });

  it('relays chat payloads and acks as they are, and expects acknowledgements', () => {
    const result = { members: [{ email: 'me@example.com' }] };
    expect(BOWL_DIALECT.reply('acceptGroupRequest', result, { email: 'me@example.com' })).toBe(
      result,
    );
    expect(BOWL_DIALECT.chatPayload('{"id":"1"}')).toBe('{"id":"1"}');
    expect(BOWL_DIALECT.acknowledgesDeliveries).toBe(true);
  });
});
