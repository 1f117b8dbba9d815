import 'reflect-metadata';
import { MESSAGE_MAPPING_METADATA, MESSAGE_METADATA } from '@nestjs/websockets/constants';
import { getMetadataStorage } from 'class-validator';
import fc from 'fast-check';
import { LoginDto, RegisterDto } from '@app/auth';
import { ConnectionGateway } from '../../apps/gateway/src/connection.gateway';
import { ContactsGateway } from '../../apps/gateway/src/contacts.gateway';
import { GroupsGateway } from '../../apps/gateway/src/groups.gateway';
import { MessagesGateway } from '../../apps/gateway/src/messages.gateway';

/**
 * Hostile input for property tests: the payload of every socket event and every HTTP body, and
 * fast-check arbitraries of what a hostile or broken client sends. Seeded, so a failure replays.
 */
export const PROPERTY_SEED = 20261201;

type Dto = new () => object;
type Payload = Record<string, unknown>;

export interface Target {
  /** The event name, or the HTTP path. */
  name: string;
  dto: Dto;
}

/** Every socket event a gateway handles, with the DTO its payload is validated against. */
export function socketEvents(): Target[] {
  const gateways = [ConnectionGateway, ContactsGateway, GroupsGateway, MessagesGateway];
  return gateways.flatMap((gateway) =>
    Object.getOwnPropertyNames(gateway.prototype).flatMap((method) => {
      const handler = Reflect.get(gateway.prototype, method) as unknown;
      if (typeof handler !== 'function' || !Reflect.getMetadata(MESSAGE_MAPPING_METADATA, handler))
        return [];
      const params = (Reflect.getMetadata('design:paramtypes', gateway.prototype, method) ??
        []) as unknown[];
      const dto = params.find(
        (p): p is Dto => typeof p === 'function' && fieldsOf(p as Dto).length > 0,
      );
      if (!dto) throw new Error(`${gateway.name}.${method}: no validated payload`);
      return [{ name: Reflect.getMetadata(MESSAGE_METADATA, handler) as string, dto }];
    }),
  );
}

/** Every JSON body the HTTP API validates: a new endpoint is one more line. */
export const HTTP_BODIES: Target[] = [
  { name: '/auth/register', dto: RegisterDto },
  { name: '/auth/login', dto: LoginDto },
];

/** The properties a DTO validates. */
export function fieldsOf(dto: Dto): string[] {
  const metas = getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false);
  return [...new Set(metas.map((m) => m.propertyName))];
}

// ------------------------------------------------------------------------------ arbitraries

/** Strings that break naive code: surrogates, bidi, NUL, full-width, zero-width, combining… */
const nastyString = fc.oneof(
  fc.constantFrom(
    '\ud800',
    '\udfff',
    'g\udfff',
    '\udfff\ud800',
    'a\u0000b',
    '\u0000',
    '\u202eevil\u202c',
    '\u2066x\u2069',
    'ｘavier@example.com',
    'x\u200b@example.com',
    'e\u0301\u0301\u0301',
    '🔐'.repeat(40),
    '',
    ' ',
    '__proto__',
    'constructor',
    "'; DROP TABLE users; --",
    '<script>alert(1)</script>',
    '{"$gt":""}',
    '%s%n%x',
    '../../etc/passwd',
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
);

/** An object with exactly these own keys, `__proto__` included, as JSON.parse would build it. */
function ownKeys(entries: [string, unknown][]): Payload {
  const object: Payload = {};
  for (const [key, value] of entries) {
    Object.defineProperty(object, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return object;
}

/** A string of up to `max` characters, mostly large. */
const hugeString = (max: number) =>
  fc
    .tuple(fc.integer({ min: 1_000, max }), fc.constantFrom('x', 'é', '🔐', '\u0000', 'A='))
    .map(([n, unit]) => unit.repeat(Math.ceil(n / unit.length)));

/** JSON nested up to `maxDepth` levels (arrays or objects), as JSON.parse would build it. */
const deeplyNested = (maxDepth: number) =>
  fc
    .tuple(fc.integer({ min: 20, max: maxDepth }), fc.boolean())
    .map(([depth, arrays]) =>
      JSON.parse(
        arrays
          ? '['.repeat(depth) + ']'.repeat(depth)
          : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth),
      ),
    );

/** An object with own `__proto__`/`constructor`/`prototype` keys at some depth, JSON-made. */
const prototypeKeys = fc
  .tuple(
    fc.constantFrom('__proto__', 'constructor', 'prototype'),
    fc.integer({ min: 0, max: 4 }),
    fc.jsonValue({ maxDepth: 1 }),
  )
  .map(([key, depth, inner]) => {
    let value: unknown = ownKeys([[key, inner]]);
    for (let i = 0; i < depth; i++) value = { x: value };
    return value;
  });

/** A value of any JSON type, hostile ones weighted in, nested at most `maxDepth` levels. */
const hostileValue = (maxDepth: number): fc.Arbitrary<unknown> =>
  fc.oneof(
    { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 3 },
    { arbitrary: nastyString, weight: 4 },
    {
      arbitrary: fc.constantFrom(0, -1, 1e308, -0, 2 ** 53, 3.14, true, false, null, [], {}),
      weight: 2,
    },
    { arbitrary: prototypeKeys, weight: 1 },
    { arbitrary: deeplyNested(maxDepth), weight: 1 },
  );

/**
 * A payload for a DTO with `fields`: anything at all (not even an object), an object of random
 * keys, or the DTO's own fields each holding a plausible or a hostile value, perhaps with an
 * extra or prototype key (see `valid`). The limits bound huge strings and nesting (a socket frame has a size
 * limit, and the sending client's own JSON.stringify a stack).
 */
export function hostilePayload(
  fields: string[],
  limits: { maxHuge: number; maxDepth: number },
  /** Valid values per field, mixed in so that many payloads get past validation. */
  valid: Record<string, unknown[]> = {},
): fc.Arbitrary<unknown> {
  const value = hostileValue(limits.maxDepth);
  const hex = fc.constantFrom(...'0123456789abcdef');
  const plausible = fc.oneof(
    fc.emailAddress(),
    fc.string({ unit: hex, minLength: 24, maxLength: 24 }),
    fc.string(),
  );
  const fieldValue = fc.oneof(
    { arbitrary: plausible, weight: 2 },
    { arbitrary: value, weight: 3 },
    { arbitrary: hugeString(limits.maxHuge), weight: 1 },
  );
  const valueOf = (field: string) =>
    valid[field]
      ? fc.oneof({ arbitrary: fc.constantFrom(...valid[field]), weight: 4 }, fieldValue)
      : fieldValue;
  const ownFields = fc.record(Object.fromEntries(fields.map((f) => [f, valueOf(f)])), {
    requiredKeys: [],
  });
  const withExtra = fc
    .tuple(
      ownFields,
      fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'isAdmin'), fc.string()),
      value,
    )
    .map(([payload, key, value]) => ownKeys([[key, value], ...Object.entries(payload)]));
  return fc.oneof(
    { arbitrary: value, weight: 2 },
    { arbitrary: fc.dictionary(nastyString, value, { maxKeys: 5 }), weight: 1 },
    { arbitrary: ownFields, weight: 5 },
    { arbitrary: withExtra, weight: 2 },
  );
}
