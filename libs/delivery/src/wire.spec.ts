import {
  decodeBroadcastNotice,
  decodeNotice,
  encodeBroadcastNotice,
  encodeNotice,
  encodePayload,
} from './wire';

const message = {
  id: '6f1c2a7e-93b1-4c8e-9d6b-1a2b3c4d5e6f',
  groupId: null,
  messageTypeJson: '{"kind":"text","z":[1,"\\u2028"],"a":null}',
  message: 'Y2lwaGVy+/=',
  date: '01/02/2026',
  time: '12:34',
  from: 'o"brien@example.com',
  sentAt: new Date(Date.UTC(2026, 1, 1, 12, 34, 5, 678)),
};

describe('wire', () => {
  it('encodes a 1:1 payload as exactly its fields, messageType spliced in as stored', () => {
    const json = encodePayload(message);
    expect(JSON.parse(json)).toStrictEqual({
      id: message.id,
      messageType: { kind: 'text', z: [1, '\u2028'], a: null },
      message: 'Y2lwaGVy+/=',
      date: '01/02/2026',
      time: '12:34',
      from: 'o"brien@example.com',
      sentAt: '2026-02-01T12:34:05.678Z',
    });
    expect(json).toContain(`"messageType":${message.messageTypeJson},`);
  });

  it('puts groupId first in a group payload', () => {
    const json = encodePayload({ ...message, groupId: 'a'.repeat(24) });
    expect(Object.keys(JSON.parse(json))).toEqual([
      'groupId',
      'id',
      'messageType',
      'message',
      'date',
      'time',
      'from',
      'sentAt',
    ]);
  });

  it('round-trips a notice, payload text untouched', () => {
    const json = encodePayload(message);
    const sentAt = message.sentAt.getTime();
    expect(decodeNotice(encodeNotice(42, { event: 'groupChatMessage', sentAt, json }))).toEqual({
      seq: 42,
      event: 'groupChatMessage',
      sentAt,
      json,
    });
    expect(
      decodeNotice(encodeNotice(1, { event: 'contactChatMessage', sentAt: 7, json: '{} x' })),
    ).toEqual({ seq: 1, event: 'contactChatMessage', sentAt: 7, json: '{} x' });
  });

  it.each([
    '',
    'x',
    '42',
    '42 0 5',
    '42 7 5 {}',
    'x 0 5 {}',
    '-1x 0 5 {}',
    '42 0{}',
    ' 0 5 {}',
    '4 0 x {}',
  ])('ignores %p, which is not a notice', (raw) => expect(decodeNotice(raw)).toBeNull());

  it('round-trips a broadcast notice with every recipient and seq', () => {
    const json = encodePayload(message);
    const d = { event: 'groupChatMessage' as const, sentAt: 12, json };
    const recipients: [string, number][] = [
      ['6f1c2a7e-93b1-4c8e-9d6b-1a2b3c4d5e6f', 7],
      ['00000000-0000-0000-0000-000000000001', 1],
    ];
    expect(decodeBroadcastNotice(encodeBroadcastNotice(recipients, d))).toEqual({
      recipients,
      delivery: { ...d, seq: 0 },
    });
    expect(decodeBroadcastNotice('nonsense')).toBeNull();
    expect(decodeBroadcastNotice('u:x 0 1 {}')).toBeNull();
  });
});
