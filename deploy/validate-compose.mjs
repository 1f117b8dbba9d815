// npm run test:compose-config: docker-compose.yml checked offline, twice:
// - against the Compose Specification's JSON schema (the copy dclint ships), with ajv;
// - by `docker-compose config -q` (with .env.example for the variables) when docker-compose is
//   installed: it also resolves anchors, interpolation and depends_on.
// First it checks that the schema check catches known mistakes. Exits 1 on any error.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

const ROOT = new URL('..', import.meta.url).pathname;
const COMPOSE_FILE = join(ROOT, 'docker-compose.yml');

// dclint exports no path to its schema; find it beside its package.json.
const dclint = dirname(createRequire(import.meta.url).resolve('dclint/package.json'));
const schema = JSON.parse(readFileSync(join(dclint, 'schemas/compose.schema.json'), 'utf8'));
delete schema.$schema; // draft-07 is ajv's default; its https:// id is not registered in ajv
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(schema);

const schemaErrors = (config) =>
  validate(config) ? [] : validate.errors.map((e) => `${e.instancePath || '/'} ${e.message}`);

function selfCheck() {
  const broken = {
    services: { redis: { image: 'redis', restartt: 'always', healthcheck: { interval: 5 } } },
  };
  const found = schemaErrors(broken).join('\n');
  const expected = [
    '/services/redis must NOT have additional properties',
    '/services/redis/healthcheck/interval must be string',
  ];
  const missed = expected.filter((text) => !found.includes(text));
  if (missed.length)
    throw new Error(`the schema check missed: ${missed.join('; ')}\n(it said: ${found})`);
}

function composeConfig() {
  try {
    execFileSync(
      'docker-compose',
      ['--env-file', join(ROOT, '.env.example'), '-f', COMPOSE_FILE, 'config', '-q'],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    return [];
  } catch (err) {
    if (err.code === 'ENOENT') {
      console.log('skip docker-compose config: docker-compose is not installed');
      return [];
    }
    return [`docker-compose config: ${(err.stderr || err.message).trim()}`];
  }
}

selfCheck();
const errors = [...schemaErrors(parse(readFileSync(COMPOSE_FILE, 'utf8'))), ...composeConfig()];
for (const error of errors) console.error(`FAIL docker-compose.yml: ${error}`);
console.log(`docker-compose.yml: ${errors.length ? `${errors.length} error(s)` : 'valid'}`);
process.exit(errors.length ? 1 : 0);
