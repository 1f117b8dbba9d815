import { DESKTOP_DIALECT } from './desktop.dialect';

describe('DESKTOP_DIALECT', () => {
  const me = { email: 'me@example.com' };
  const member = (email: string, isAdmin = false) => ({
    name: email.split('@')[0],
    email,
    publicKey: 'QUJD',
    isAdmin,
  });

  it('takes the token from the `token` header, not from auth', () => {
    expect(DESKTOP_DIALECT.tokenOf({ auth: {}, headers: { token: 'jwt' } })).toBe('jwt');
    expect(DESKTOP_DIALECT.tokenOf({ auth: { token: 'jwt' }, headers: {} })).toBeUndefined();
  });

  it('leaves the caller out of acceptGroupRequest members, keeping the rest in order', () => {
    const result = {
      members: [
        member('admin@example.com', true),
        member('me@example.com'),
        member('c@example.com'),
      ],
    };
    expect(DESKTOP_DIALECT.reply('acceptGroupRequest', result, me)).toEqual({
      members: [member('admin@example.com', true), member('c@example.com')],
    });
    expect(result.members).toHaveLength(3); // the handler's result is not changed
  });

  it('passes every other ack through', () => {
    const contact = { contactData: { name: 'me', email: 'me@example.com', publicKey: 'QUJD' } };
    expect(DESKTOP_DIALECT.reply('sendContactRequest', contact, me)).toBe(contact);
    const odd = { members: 'not a list' };
    expect(DESKTOP_DIALECT.reply('acceptGroupRequest', odd, me)).toBe(odd);
  });

  it('sends chat messages as a JSON string that parses back to the payload, never acked', () => {
    const json = '{"id":"7","messageType":"","message":"a\\"b","date":"1/9/2023","from":"x@y.z"}';
    const payload = DESKTOP_DIALECT.chatPayload(json);
    expect(JSON.parse(payload)).toBe(json);
    expect(JSON.parse(JSON.parse(payload) as string)).toEqual({
      id: '7',
      messageType: '',
      message: 'a"b',
      date: '1/9/2023',
      from: 'x@y.z',
    });
    expect(DESKTOP_DIALECT.acknowledgesDeliveries).toBe(false);
  });
});
