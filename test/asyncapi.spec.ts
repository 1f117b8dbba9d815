import 'reflect-metadata';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DiagnosticSeverity, Parser } from '@asyncapi/parser';
import {
  GATEWAY_METADATA,
  GATEWAY_OPTIONS,
  MESSAGE_MAPPING_METADATA,
  MESSAGE_METADATA,
} from '@nestjs/websockets/constants';
import { getMetadataStorage } from 'class-validator';
import { parse } from 'yaml';
import { Environment, errorCode } from '@app/common';
import { ConnectionGateway } from '../apps/gateway/src/connection.gateway';
import { ContactsGateway } from '../apps/gateway/src/contacts.gateway';
import { GroupsGateway } from '../apps/gateway/src/groups.gateway';
import { MessagesGateway } from '../apps/gateway/src/messages.gateway';
import { SessionGateway } from '../apps/gateway/src/session.gateway';
import { isSocketHandlers } from '../apps/gateway/src/socket-router';

/**
 * docs/asyncapi.yaml against the code and the seed contract: valid AsyncAPI 3.0.0, internally
 * consistent, and documenting exactly the events the gateways handle and the server emits.
 */

const ROOT = path.join(__dirname, '..');
const DOC_PATH = path.join(ROOT, 'docs/asyncapi.yaml');
const SEED_PATH = path.join(__dirname, '../../shared/seed/socket-events-api.txt');
const GATEWAYS = {
  ConnectionGateway,
  ContactsGateway,
  GroupsGateway,
  MessagesGateway,
  SessionGateway,
};
const GATEWAY_FILES = ['connection', 'contacts', 'groups', 'messages', 'session'].map(
  (n) => `${n}.gateway.ts`,
);
/** Socket.IO emits it itself for a refused handshake; no Bowl code names it. */
const BUILT_IN_EVENTS = new Set(['connect_error']);

type Json = Record<string, unknown>;
type Direction = 'clientToServer' | 'serverToClient';

interface DocEvent {
  name: string;
  direction: Direction;
  operationId: string;
  operation: Json;
  message: Json;
}

const docText = readFileSync(DOC_PATH, 'utf8');
const doc = parse(docText) as Json;

// ------------------------------------------------------------------ reading the document

function pointer(ref: string): unknown {
  if (!ref.startsWith('#/')) throw new Error(`only local $refs are expected, got ${ref}`);
  return ref
    .slice(2)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, key) => {
      if (node === null || typeof node !== 'object' || !(key in node)) {
        throw new Error(`$ref ${ref} does not resolve`);
      }
      return (node as Json)[key];
    }, doc);
}

/** Follows $refs until a non-reference node. */
function deref(node: unknown): Json {
  let current = node;
  for (let hops = 0; hops < 20; hops++) {
    if (current === null || typeof current !== 'object') {
      throw new Error(`expected an object, got ${JSON.stringify(current)}`);
    }
    const ref = (current as Json).$ref;
    if (typeof ref !== 'string') return current as Json;
    current = pointer(ref);
  }
  throw new Error('$ref chain too long');
}

function refOf(node: unknown): string {
  const ref = (node as Json | undefined)?.$ref;
  if (typeof ref !== 'string') throw new Error(`expected a $ref, got ${JSON.stringify(node)}`);
  return ref;
}

function section(name: string): Record<string, Json> {
  return (doc[name] ?? {}) as Record<string, Json>;
}

function allRefs(node: unknown, found: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => allRefs(n, found));
  else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') found.push(value);
      else allRefs(value, found);
    }
  }
  return found;
}

/** Property names anywhere in a schema (nested objects, arrays, combinators). */
function propertyNames(schema: unknown, seen = new Set<Json>()): Set<string> {
  const names = new Set<string>();
  const s = deref(schema);
  if (seen.has(s)) return names;
  seen.add(s);
  for (const [name, sub] of Object.entries((s.properties ?? {}) as Json)) {
    names.add(name);
    propertyNames(sub, seen).forEach((n) => names.add(n));
  }
  const nested = [s.items, ...(['allOf', 'anyOf', 'oneOf'] as const).flatMap((k) => s[k] ?? [])];
  for (const sub of nested.filter(Boolean)) propertyNames(sub, seen).forEach((n) => names.add(n));
  return names;
}

const payloadOf = (message: Json): Json => deref(message.payload);

function replyMessages(operation: Json): Json[] {
  const reply = operation.reply as Json | undefined;
  return ((reply?.messages ?? []) as unknown[]).map(deref);
}

const upperFirst = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
/** `receive<Event>` for client → server events, `send<Event>` for server → client ones. */
const operationIdFor = (action: string, event: string) =>
  action + upperFirst(event.replace(/_(\w)/g, (_, c: string) => c.toUpperCase()));

/** Every event of the root channel, with its direction taken from its operation's action. */
function documentedEvents(): DocEvent[] {
  return Object.entries(section('operations'))
    .filter(([, op]) => refOf(op.channel) === '#/channels/root')
    .flatMap(([operationId, operation]) =>
      (operation.messages as unknown[]).map((m) => {
        const message = deref(m);
        return {
          name: message.name as string,
          direction: (operation.action === 'receive'
            ? 'clientToServer'
            : 'serverToClient') as Direction,
          operationId,
          operation,
          message,
        };
      }),
    );
}

const events = documentedEvents();
const eventNames = (direction: Direction) =>
  new Set(events.filter((e) => e.direction === direction).map((e) => e.name));

function findEvent(name: string, direction: Direction): DocEvent {
  const found = events.find((e) => e.name === name && e.direction === direction);
  if (!found) throw new Error(`${name} (${direction}) is not documented in docs/asyncapi.yaml`);
  return found;
}

// ------------------------------------------------------------------------ reading the code

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      return entry.name === 'generated' || entry.name === 'node_modules' ? [] : sourceFiles(full);
    }
    return entry.name.endsWith('.ts') && !/\.(e2e-)?spec\.ts$/.test(entry.name) ? [full] : [];
  });
}

/** Client code (and the bench's load generator) emits client → server events; the scans below read the server's code only. */
const CLIENT_CODE = ['apps/web', 'apps/bench', 'libs/sdk', 'libs/protocol'].map(
  (d) => path.join(ROOT, d) + path.sep,
);
const sources = ['apps', 'libs']
  .flatMap((d) => sourceFiles(path.join(ROOT, d)))
  .filter((file) => !CLIENT_CODE.some((dir) => file.startsWith(dir)));
const readSource = (file: string) => readFileSync(file, 'utf8');

/** The string literal given as second argument of each `toUsers(…)` call. */
function toUsersEvents(text: string): string[] {
  const found: string[] = [];
  for (let at = text.indexOf('toUsers('); at !== -1; at = text.indexOf('toUsers(', at + 1)) {
    let depth = 0;
    for (let i = at + 'toUsers('.length; i < text.length; i++) {
      const ch = text[i];
      if ('([{'.includes(ch)) depth++;
      else if (')]}'.includes(ch)) {
        if (depth-- === 0) break;
      } else if (ch === ',' && depth === 0) {
        const literal = /^\s*'(\w+)'/.exec(text.slice(i + 1));
        if (literal) found.push(literal[1]);
        break;
      }
    }
  }
  return found;
}

/** Events the server emits to clients, as written in the source. */
function emittedEvents(): Map<string, string[]> {
  const emitted = new Map<string, string[]>();
  const add = (event: string, file: string) =>
    emitted.set(event, [...(emitted.get(event) ?? []), path.relative(ROOT, file)]);
  for (const file of sources) {
    const text = readSource(file);
    toUsersEvents(text).forEach((e) => add(e, file));
    // socket.emit('x' / client.emit('x' (not the internal EventEmitters' this.emit)
    for (const m of text.matchAll(/(?<!\bthis)\.emit\(\s*'(\w+)'/g)) add(m[1], file);
    // `event: 'contactChatMessage' | 'groupChatMessage'`, `event: 'online' | 'offline'`
    // and the events a chat message travels as: `type ChatEvent = 'contactChatMessage' | …`
    for (const m of text.matchAll(/\b(?:event\??:|type ChatEvent =)\s*((?:'\w+'\s*\|?\s*)+)/g)) {
      for (const lit of m[1].matchAll(/'(\w+)'/g)) add(lit[1], file);
    }
  }
  return emitted;
}

/**
 * `code: text` of every refusal the socket events can send: each error class of the libs they
 * reach (`<lib>.errors.ts`; its texts are the string literals in its body, a default argument
 * included) and each `new XError('text')` elsewhere in those libs. Interpolations (`${max}`) read
 * as `<>`.
 */
const ERROR_KINDS = new Set([
  'invalid',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'rate_limited',
]);

function refusalsInCode(): Set<string> {
  const found = new Set<string>();
  const text = (literal: string) => literal.slice(1, -1).replace(/\$\{[^}]*\}/g, '<>');
  for (const lib of ['contacts', 'groups', 'delivery', 'limits']) {
    for (const file of sourceFiles(path.join(ROOT, `libs/${lib}/src`))) {
      const source = readSource(file);
      if (file.endsWith('.errors.ts')) {
        for (const [, name, body] of source.matchAll(
          /export class (\w+) extends \w+ \{([\s\S]*?)\n\}/g,
        )) {
          for (const [literal] of body.matchAll(/'[^']*'|`[^`]*`/g)) {
            if (ERROR_KINDS.has(text(literal))) continue; // DomainError's kind, not a text
            found.add(`${errorCode(name)}: ${text(literal)}`);
          }
        }
        continue;
      }
      for (const [, name, literal] of source.matchAll(/new (\w+Error)\(\s*('[^']*'|`[^`]*`)/g)) {
        found.add(`${errorCode(name)}: ${text(literal)}`);
      }
    }
  }
  // renewToken's refusal: the token it is given proves nothing (UnauthorizedError's default).
  found.add('unauthorized: unauthorized');
  return found;
}

/** `@SubscribeMessage(name)` handlers of a gateway class, with their method names. */
function handlers(gateway: { prototype: object }): { event: string; method: string }[] {
  const proto = gateway.prototype;
  return Object.getOwnPropertyNames(proto).flatMap((method) => {
    const fn = Object.getOwnPropertyDescriptor(proto, method)?.value as unknown;
    if (typeof fn !== 'function' || !Reflect.getMetadata(MESSAGE_MAPPING_METADATA, fn)) return [];
    return [{ event: Reflect.getMetadata(MESSAGE_METADATA, fn) as string, method }];
  });
}

/** The DTO a handler validates its payload with, and its fields (optional ones flagged). */
function dtoFields(gateway: { prototype: object }, method: string) {
  const types = (Reflect.getMetadata('design:paramtypes', gateway.prototype, method) ??
    []) as unknown[];
  const storage = getMetadataStorage();
  for (const type of types) {
    if (typeof type !== 'function') continue;
    const metas = storage.getTargetValidationMetadatas(type, '', true, false);
    if (metas.length === 0) continue;
    const all = new Set(metas.map((m) => m.propertyName));
    const optional = new Set(
      metas.filter((m) => m.type === 'conditionalValidation').map((m) => m.propertyName),
    );
    return { dto: type.name, all, required: new Set([...all].filter((p) => !optional.has(p))) };
  }
  throw new Error(`${method}: no validated DTO parameter found`);
}

// ---------------------------------------------------------------------- reading the seed

interface SeedEvent {
  name: string;
  section: 'handlers' | 'emitters';
  send: string[][];
  received: string[][];
}

/** Strips string literals and parenthesised values (`Base64(PublicKey(type: …))`). */
function stripValues(line: string): string {
  let out = line.replace(/"[^"]*"/g, '""');
  for (let prev = ''; prev !== out;) {
    prev = out;
    out = out.replace(/\([^()]*\)/g, '');
  }
  return out;
}

function parseSeed(text: string): SeedEvent[] {
  const seed: SeedEvent[] = [];
  let current: SeedEvent | undefined;
  let where: 'handlers' | 'emitters' | undefined;
  let block: 'send' | 'received' | undefined;
  let fields: string[] | undefined;
  let depth = 0;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (depth === 0) {
      if (line === 'Event Handlers' || line === 'Event Emitters') {
        where = line === 'Event Handlers' ? 'handlers' : 'emitters';
        current = undefined;
        continue;
      }
      if (!where) continue;
      if (/^[a-z][A-Za-z0-9_]*$/.test(line)) {
        current = { name: line, section: where, send: [], received: [] };
        seed.push(current);
        block = undefined;
        continue;
      }
      if (line === 'SEND' || line === 'RECEIVED PACKET') {
        block = line === 'SEND' ? 'send' : 'received';
        continue;
      }
    }
    if (!current || !block) continue;
    const code = stripValues(line);
    if (depth === 0) {
      if (!code.startsWith('{')) continue; // e.g. `Object(Error)`
      fields = [];
      current[block].push(fields);
    }
    for (const m of code.matchAll(/([A-Za-z_]\w*)\s*:/g)) fields!.push(m[1]);
    depth += (code.match(/[{[]/g) ?? []).length - (code.match(/[}\]]/g) ?? []).length;
  }
  return seed;
}

// ----------------------------------------------------------------------------------- tests

describe('docs/asyncapi.yaml', () => {
  it('is a valid AsyncAPI 3.0.0 document (official parser, no error diagnostics)', async () => {
    expect(doc.asyncapi).toBe('3.0.0');
    const { document, diagnostics } = await new Parser().parse(docText);
    const errors = diagnostics
      .filter((d) => d.severity === DiagnosticSeverity.Error)
      .map((d) => `${d.path.join('.')}: ${d.message}`);
    expect(errors).toEqual([]);
    expect(document).toBeDefined();
    expect(document!.info().title()).toBe('Bowl');
    expect(document!.info().version()).toBe('0.1.0');
  }, 60_000);

  it('is internally consistent: every $ref resolves, operations use their channels’ messages', () => {
    for (const ref of allRefs(doc)) expect(() => pointer(ref)).not.toThrow();
    const channels = section('channels');
    expect(channels.root.address).toBe('/');
    for (const [id, op] of Object.entries(section('operations'))) {
      expect([id, op.action]).toEqual([id, expect.stringMatching(/^(send|receive)$/)]);
      const channel = refOf(op.channel);
      expect(Object.keys(channels).map((c) => `#/channels/${c}`)).toContain(channel);
      for (const m of op.messages as unknown[]) {
        expect(refOf(m)).toMatch(new RegExp(`^${channel}/messages/\\w+$`));
      }
      const reply = op.reply as Json | undefined;
      if (reply) {
        const replyChannel = refOf(reply.channel);
        for (const m of reply.messages as unknown[]) {
          expect(refOf(m)).toMatch(new RegExp(`^${replyChannel}/messages/\\w+$`));
        }
      }
    }
    // Every channel message is used by some operation or reply.
    const used = new Set(
      Object.values(section('operations')).flatMap((op) => [
        ...(op.messages as unknown[]).map(refOf),
        ...(((op.reply as Json | undefined)?.messages ?? []) as unknown[]).map(refOf),
      ]),
    );
    for (const [cid, channel] of Object.entries(channels)) {
      for (const key of Object.keys(channel.messages as Json)) {
        expect(used).toContain(`#/channels/${cid}/messages/${key}`);
      }
    }
  });

  it('names operations receive<Event> / send<Event>, messages by event, with x-direction', () => {
    const ids = new Set<string>();
    for (const e of events) {
      expect(e.operationId).toBe(operationIdFor(e.operation.action as string, e.name));
      expect(e.operation.title).toBe(e.name);
      expect(e.message['x-direction']).toBe(e.direction);
      expect(ids.has(e.operationId)).toBe(false);
      ids.add(e.operationId);
    }
    // Both chat events exist in both directions, as two distinct messages.
    for (const chat of ['contactChatMessage', 'groupChatMessage']) {
      const send = findEvent(chat, 'clientToServer').message;
      const delivered = findEvent(chat, 'serverToClient').message;
      expect(send).not.toBe(delivered);
      expect(propertyNames(payloadOf(delivered))).toContain('id');
      expect(findEvent(chat, 'serverToClient').operation.reply).toBeDefined();
    }
  });

  it('answers every client → server event with an OK ack or the ERROR ack', () => {
    const errorAck = deref({ $ref: '#/components/schemas/ErrorAck' });
    for (const e of events.filter((ev) => ev.direction === 'clientToServer')) {
      const payloads = replyMessages(e.operation).map(payloadOf);
      const statuses = payloads.map(
        (p) => (deref((p.properties as Json).status) as { const?: string }).const,
      );
      expect([e.name, statuses.sort()]).toEqual([e.name, ['ERROR', 'OK']]);
      expect(payloads).toContain(errorAck);
      expect(Array.isArray(e.operation['x-errors'])).toBe(true);
      // Client payloads: objects, unknown fields refused, required fields listed.
      const payload = payloadOf(e.message);
      expect([e.name, payload.type, payload.additionalProperties]).toEqual([
        e.name,
        'object',
        false,
      ]);
    }
  });

  it('documents exactly the events the gateways handle (Nest metadata)', () => {
    const gatewayDir = path.join(ROOT, 'apps/gateway/src');
    const files = readdirSync(gatewayDir).filter((f) => f.endsWith('.gateway.ts'));
    expect(files.sort()).toEqual([...GATEWAY_FILES].sort()); // a new gateway must be listed here
    const handled = new Set<string>();
    // The one Nest gateway owns the connection, on the documented namespace; the others are
    // handler classes that SocketRouter routes events to.
    expect(Reflect.getMetadata(GATEWAY_METADATA, ConnectionGateway)).toBe(true);
    const options = (Reflect.getMetadata(GATEWAY_OPTIONS, ConnectionGateway) ?? {}) as {
      namespace?: string;
    };
    expect(options.namespace ?? '/').toBe(section('channels').root.address);
    for (const [name, gateway] of Object.entries(GATEWAYS)) {
      if (gateway === ConnectionGateway) continue;
      expect([name, isSocketHandlers(gateway)]).toEqual([name, true]);
      for (const { event } of handlers(gateway)) handled.add(event);
    }
    expect([...handled].sort()).toEqual([...eventNames('clientToServer')].sort());
  });

  it('documents each handler payload with the fields its DTO validates', () => {
    for (const gateway of Object.values(GATEWAYS)) {
      for (const { event, method } of handlers(gateway)) {
        const { dto, all, required } = dtoFields(gateway, method);
        const payload = payloadOf(findEvent(event, 'clientToServer').message);
        const label = `${event} (${dto})`;
        expect([label, Object.keys(payload.properties as Json).sort()]).toEqual([
          label,
          [...all].sort(),
        ]);
        expect([label, [...((payload.required ?? []) as string[])].sort()]).toEqual([
          label,
          [...required].sort(),
        ]);
      }
    }
  });

  it('documents exactly the events the server emits (source scan)', () => {
    const emitted = emittedEvents();
    const documented = eventNames('serverToClient');
    for (const [event, files] of emitted) {
      expect([event, files, documented.has(event)]).toEqual([event, files, true]);
    }
    const neverEmitted = [...documented].filter((e) => !emitted.has(e) && !BUILT_IN_EVENTS.has(e));
    expect(neverEmitted).toEqual([]);
  });

  it('lists refusals (code and text) that the code really sends, and every one it can send', () => {
    const sent = refusalsInCode();
    const key = (code: string, error: string) => `${code}: ${error.replace(/<[A-Z_]+>/g, '<>')}`;
    const documented = new Set<string>();
    for (const e of events.filter((ev) => ev.direction === 'clientToServer')) {
      for (const { code, error } of e.operation['x-errors'] as { code: string; error: string }[]) {
        documented.add(key(code, error));
        expect([e.name, code, error, sent.has(key(code, error))]).toEqual([
          e.name,
          code,
          error,
          true,
        ]);
      }
    }
    for (const refusal of sent) expect([refusal, documented.has(refusal)]).toEqual([refusal, true]);
  });

  it('covers every event and field of the seed contract', () => {
    if (!existsSync(SEED_PATH)) {
      throw new Error(
        `seed contract not found at ${SEED_PATH}: CI copies shared/ beside the clone; ` +
          'run from a checkout that has ../shared/seed/socket-events-api.txt',
      );
    }
    const seed = parseSeed(readFileSync(SEED_PATH, 'utf8'));
    const names = seed.map((s) => s.name);
    // Sanity of the parser itself: the seed's two sections are both non-trivial.
    expect(names).toEqual(expect.arrayContaining(['onlineChats', 'sendGroupRequest']));
    expect(seed.filter((s) => s.section === 'handlers').length).toBeGreaterThan(5);
    expect(seed.filter((s) => s.section === 'emitters').length).toBeGreaterThan(5);

    for (const s of seed) {
      const missing = (fields: string[][], schemas: Json[]) => {
        const known = new Set(schemas.flatMap((schema) => [...propertyNames(schema)]));
        return fields.flat().filter((f) => !known.has(f));
      };
      if (s.section === 'handlers') {
        // Server → client. connect_error is Socket.IO's own, but documented all the same.
        const e = findEvent(s.name, 'serverToClient');
        if (BUILT_IN_EVENTS.has(s.name)) continue;
        expect([s.name, missing(s.received, [payloadOf(e.message)])]).toEqual([s.name, []]);
        expect(s.received.flat().length).toBeGreaterThan(0);
      } else {
        const e = findEvent(s.name, 'clientToServer');
        expect([s.name, missing(s.send, [payloadOf(e.message)])]).toEqual([s.name, []]);
        const acks = replyMessages(e.operation).map(payloadOf);
        expect([s.name, missing(s.received, acks)]).toEqual([s.name, []]);
        expect(s.send.flat().length).toBeGreaterThan(0);
      }
    }
  });

  it('states the delivery guarantee with the real defaults, like the README', () => {
    const env = new Environment();
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const description = (doc.info as Json).description as string;
    for (const text of [description, readme]) {
      expect(text).toContain('Delivery guarantee');
      for (const [name, value] of [
        ['MESSAGE_RETENTION_DAYS', env.MESSAGE_RETENTION_DAYS],
        ['MAX_QUEUED_MESSAGES', env.MAX_QUEUED_MESSAGES],
        ['MAX_QUEUED_PER_SENDER', env.MAX_QUEUED_PER_SENDER],
        ['DELIVERY_WINDOW', env.DELIVERY_WINDOW],
      ] as const) {
        expect(text).toMatch(new RegExp(`${name}\`? \\(default ${value}\\b`));
      }
      expect(text).toContain('clientMessageId');
      expect(text).toContain('recipient queue full');
    }
    expect(readme).toContain('docs/asyncapi.yaml');
    const protocol = readme.split(/^## /m).find((s) => s.startsWith('Protocol'));
    expect(protocol).toBeDefined();
    for (const e of events)
      expect([e.name, protocol!.includes(`\`${e.name}\``)]).toEqual([e.name, true]);
  });
});
