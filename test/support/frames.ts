import fc from 'fast-check';

/**
 * Raw Engine.IO v4 / Socket.IO v5 frames as a broken or hostile client could send them over the
 * websocket transport: `<engine type>[<socket.io type>[<attachments>-][<namespace>,][<id>][json]]`,
 * followed by binary frames for the attachments (or not, or too many).
 */
export interface RawFrame {
  text: string;
  binaries: Buffer[];
}

/** Event names of every JSON type (all but strings and numbers end the connection). */
const eventNames: fc.Arbitrary<unknown> = fc.oneof(
  {
    arbitrary: fc.constantFrom(
      'sendContactRequest',
      'contactChatMessage',
      'createGroup',
      'acceptGroupRequest',
      'noSuchEvent',
      'error',
      'disconnect',
      'disconnecting',
      'connect',
      'newListener',
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
      '',
      '\u0000',
      '\udfff',
    ),
    weight: 6,
  },
  { arbitrary: fc.string({ maxLength: 20 }), weight: 3 },
  { arbitrary: fc.oneof(fc.integer(), fc.double(), fc.constant(1e308)), weight: 2 },
  { arbitrary: fc.constantFrom(null, true, false), weight: 1 },
  { arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 1 },
);

const placeholder = fc
  .oneof(fc.integer({ min: -1, max: 3 }), fc.constantFrom('0', null, 1.5, 1e9))
  .map((num) => ({ _placeholder: true, num }));

const argument: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 4 },
  { arbitrary: placeholder, weight: 2 },
  {
    arbitrary: fc.record({ email: fc.oneof(fc.emailAddress(), placeholder), x: placeholder }),
    weight: 1,
  },
  {
    arbitrary: fc.constantFrom({ groupId: 'a'.repeat(24) }, { email: 'x@example.com' }),
    weight: 1,
  },
);

const json: fc.Arbitrary<string> = fc.oneof(
  {
    arbitrary: fc
      .tuple(eventNames, fc.array(argument, { maxLength: 3 }))
      .map(([n, a]) => JSON.stringify([n, ...a])),
    weight: 12,
  },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)), weight: 2 },
  { arbitrary: fc.constant(''), weight: 1 },
  {
    // Truncated or corrupted JSON.
    arbitrary: fc
      .tuple(
        fc.tuple(eventNames, argument).map((v) => JSON.stringify(v)),
        fc.nat(),
      )
      .map(([text, cut]) => text.slice(0, cut % (text.length + 1))),
    weight: 2,
  },
  { arbitrary: fc.string({ maxLength: 30 }), weight: 1 },
  { arbitrary: fc.integer({ min: 1, max: 50_000 }).map((n) => '['.repeat(n)), weight: 1 },
);

const namespace = fc.oneof(
  { arbitrary: fc.constant(''), weight: 12 },
  { arbitrary: fc.constantFrom('/,', '/admin,', '/nope,', '/\u0000,', '/%,', '//,'), weight: 1 },
);
const ackId = fc.oneof(
  { arbitrary: fc.constant(''), weight: 3 },
  { arbitrary: fc.nat({ max: 1_000_000 }).map(String), weight: 3 },
  { arbitrary: fc.constantFrom('99999999999999999999999999', '1e5', '-1', '1.5', '0'), weight: 1 },
);
/** The attachment count of a binary packet, and how many binary frames really follow. */
const attachments = fc.oneof(
  {
    arbitrary: fc
      .tuple(fc.integer({ min: 1, max: 3 }), fc.constantFrom(0, 0, 0, 1, -1))
      .map(([n, off]) => ({ header: `${n}-`, count: Math.max(0, n + off) })),
    weight: 4,
  },
  {
    arbitrary: fc
      .constantFrom('', '0-', '-', '99999999-', '-1-', 'a-', '1')
      .map((header) => ({ header, count: 1 })),
    weight: 1,
  },
);

/** A Socket.IO packet inside an Engine.IO message, or any other Engine.IO packet. */
export const rawFrame: fc.Arbitrary<RawFrame> = fc.oneof(
  {
    arbitrary: fc
      .record({
        // Mostly events (the path with the most code behind it); every other type now and then.
        type: fc.oneof(
          { arbitrary: fc.constant('2'), weight: 12 },
          { arbitrary: fc.constantFrom('3', '5', '6'), weight: 3 },
          { arbitrary: fc.constantFrom('0', '1', '4', '7', '9', 'x', ''), weight: 2 },
        ),
        attachments,
        namespace,
        id: ackId,
        json,
        binaries: fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 4 }),
      })
      .map(({ type, attachments: att, namespace: nsp, id, json: body, binaries }) => {
        const binary = type === '5' || type === '6';
        return {
          text: `4${type}${binary ? att.header : ''}${nsp}${id}${body}`,
          binaries: binary ? binaries.slice(0, att.count).map((b) => Buffer.from(b)) : [],
        };
      }),
    weight: 8,
  },
  {
    // Engine.IO packets other than "message": open, close, ping, pong, upgrade, noop, unknown.
    arbitrary: fc
      .tuple(
        fc.constantFrom('0', '1', '2', '3', '5', '6', '7', '', 'b'),
        fc.string({ maxLength: 20 }),
      )
      .map(([type, rest]) => ({ text: `${type}${rest}`, binaries: [] })),
    weight: 1,
  },
  {
    // A binary frame nobody announced.
    arbitrary: fc
      .uint8Array({ maxLength: 64 })
      .map((b) => ({ text: '', binaries: [Buffer.from(b)] })),
    weight: 1,
  },
);
