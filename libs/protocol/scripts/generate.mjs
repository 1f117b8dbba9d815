#!/usr/bin/env node
/**
 * Writes libs/protocol/src/protocol.generated.ts from docs/asyncapi.yaml: one TypeScript type per
 * schema of `components.schemas`, and the event maps `ClientEvents` (client → server: payload and
 * ack) and `ServerEvents` (server → client payloads), taken from the operations of the root
 * channel. Types only: the output has no runtime code.
 *
 *   node libs/protocol/scripts/generate.mjs           writes the file
 *   node libs/protocol/scripts/generate.mjs --stdout  prints it instead (the drift test uses this)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { parse } from 'yaml';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const DOC_PATH = join(ROOT, 'docs/asyncapi.yaml');
const OUTPUT_PATH = join(ROOT, 'libs/protocol/src/protocol.generated.ts');

const SCHEMA_REF = '#/components/schemas/';
/** Socket.IO reserves these names for itself: a server cannot emit them, so no map lists them. */
const RESERVED_EVENTS = new Set(['connect', 'connect_error', 'disconnect']);
const COMMENT_WIDTH = 96;

/** Follows a local `$ref` (`#/a/b/c`) to the node it points at. */
function resolve(doc, ref) {
  if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported, got ${ref}`);
  return ref
    .slice(2)
    .split('/')
    .reduce((node, key) => {
      if (node === null || typeof node !== 'object' || !(key in node)) {
        throw new Error(`$ref ${ref} does not resolve`);
      }
      return node[key];
    }, doc);
}

function deref(doc, node) {
  let current = node;
  while (current && typeof current.$ref === 'string') current = resolve(doc, current.$ref);
  return current;
}

/** A JSDoc block for `text` (paragraphs reflowed), indented by `indent`; '' when empty. */
function docComment(text, indent = '') {
  if (!text || !text.trim()) return '';
  const lines = [];
  const paragraphs = text
    .trim()
    .replaceAll('*/', '*\\/')
    .split(/\n\s*\n/);
  for (const [i, paragraph] of paragraphs.entries()) {
    if (i > 0) lines.push('');
    let line = '';
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      if (line && line.length + word.length + 1 > COMMENT_WIDTH - indent.length) {
        lines.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    lines.push(line);
  }
  if (lines.length === 1) return `${indent}/** ${lines[0]} */\n`;
  return `${indent}/**\n${lines.map((l) => `${indent} *${l ? ` ${l}` : ''}`).join('\n')}\n${indent} */\n`;
}

const isIdentifier = (name) => /^[A-Za-z_$][\w$]*$/.test(name);
const propertyKey = (name) => (isIdentifier(name) ? name : JSON.stringify(name));
const literal = (value) => JSON.stringify(value);

/** The TypeScript type of a JSON Schema; named component schemas are referred to by name. */
function typeOf(doc, schema, indent) {
  if (schema === true || schema === undefined) return 'unknown';
  if (typeof schema.$ref === 'string') {
    if (!schema.$ref.startsWith(SCHEMA_REF)) return typeOf(doc, deref(doc, schema), indent);
    return schema.$ref.slice(SCHEMA_REF.length);
  }
  if ('const' in schema) return literal(schema.const);
  if (Array.isArray(schema.enum)) return schema.enum.map(literal).join(' | ');
  if (schema.oneOf || schema.anyOf) {
    return (schema.oneOf ?? schema.anyOf).map((s) => typeOf(doc, s, indent)).join(' | ');
  }
  if (schema.allOf) return schema.allOf.map((s) => typeOf(doc, s, indent)).join(' & ');
  if (Array.isArray(schema.type)) {
    return schema.type.map((type) => typeOf(doc, { ...schema, type }, indent)).join(' | ');
  }
  switch (schema.type) {
    case 'string':
      return 'string';
    case 'integer':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array': {
      const item = typeOf(doc, schema.items, indent);
      return /^[\w.]+$/.test(item) ? `${item}[]` : `Array<${item}>`;
    }
    case 'object':
      return objectType(doc, schema, indent);
    case undefined:
      return schema.properties ? objectType(doc, schema, indent) : 'unknown';
    default:
      throw new Error(`unsupported schema type ${JSON.stringify(schema.type)}`);
  }
}

function objectType(doc, schema, indent) {
  const required = new Set(schema.required ?? []);
  const inner = `${indent}  `;
  const members = Object.entries(schema.properties ?? {}).map(([name, property]) => {
    const optional = required.has(name) ? '' : '?';
    return `${docComment(property.description, inner)}${inner}${propertyKey(name)}${optional}: ${typeOf(doc, property, inner)};\n`;
  });
  const extra = schema.additionalProperties;
  if (extra && extra !== false) {
    members.push(
      `${inner}[key: string]: ${extra === true ? 'unknown' : typeOf(doc, extra, inner)};\n`,
    );
  }
  return members.length === 0 ? 'Record<string, unknown>' : `{\n${members.join('')}${indent}}`;
}

function componentDeclarations(doc) {
  return Object.entries(doc.components?.schemas ?? {}).map(([name, schema]) => {
    const comment = docComment(schema.description);
    const type = typeOf(doc, schema, '');
    const isObject = type.startsWith('{');
    return isObject
      ? `${comment}export interface ${name} ${type}\n`
      : `${comment}export type ${name} = ${type};\n`;
  });
}

/** The type name of a message's payload (its component schema), or its inline type. */
function payloadType(doc, message) {
  return typeOf(doc, message.payload, '  ');
}

/** The events of the root channel, split by direction, in document order. */
function events(doc) {
  const client = [];
  const server = [];
  for (const operation of Object.values(doc.operations ?? {})) {
    if (operation.channel?.$ref !== '#/channels/root') continue;
    for (const ref of operation.messages ?? []) {
      const message = deref(doc, ref);
      const event = { name: message.name, summary: operation.summary, message, operation };
      if (operation.action === 'receive') client.push(event);
      else if (!RESERVED_EVENTS.has(message.name)) server.push(event);
    }
  }
  return { client, server };
}

const replies = (doc, operation) =>
  (operation.reply?.messages ?? []).map((ref) => payloadType(doc, deref(doc, ref)));

function generate(doc) {
  const { client, server } = events(doc);
  const clientEntries = client.map((e) => {
    const ack = replies(doc, e.operation).join(' | ') || 'never';
    return `${docComment(e.summary, '  ')}  ${propertyKey(e.name)}: { payload: ${payloadType(doc, e.message)}; ack: ${ack} };\n`;
  });
  const serverEntries = server.map(
    (e) =>
      `${docComment(e.summary, '  ')}  ${propertyKey(e.name)}: ${payloadType(doc, e.message)};\n`,
  );
  const acknowledged = server.filter((e) => e.operation.reply).map((e) => literal(e.name));
  return [
    `// Generated from docs/asyncapi.yaml by ${relative(ROOT, fileURLToPath(import.meta.url))}.`,
    '// Do not edit: change the document and run `npm run generate:protocol`.\n',
    ...componentDeclarations(doc),
    '/** Client → server events: what the client emits, and the acknowledgement it gets back. */',
    `export interface ClientEvents {\n${clientEntries.join('')}}\n`,
    '/** Server → client events and their payloads. */',
    `export interface ServerEvents {\n${serverEntries.join('')}}\n`,
    '/** Server → client events that the client acknowledges once it holds them. */',
    `export type AcknowledgedServerEvent = ${acknowledged.join(' | ') || 'never'};\n`,
  ].join('\n');
}

const doc = parse(readFileSync(DOC_PATH, 'utf8'));
const options = (await prettier.resolveConfig(OUTPUT_PATH)) ?? {};
const text = await prettier.format(generate(doc), { ...options, filepath: OUTPUT_PATH });
if (process.argv.includes('--stdout')) process.stdout.write(text);
else {
  writeFileSync(OUTPUT_PATH, text);
  console.log(`wrote ${relative(ROOT, OUTPUT_PATH)}`);
}
