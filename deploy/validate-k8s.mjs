// npm run test:k8s: renders every overlay under k8s/overlays with `kubectl kustomize` (offline), and
// validates each object, and the templates in k8s/*.yaml, without a cluster:
// - against the Kubernetes OpenAPI schemas (kubernetes-models: types, required fields, enums);
// - for unknown (e.g. misspelled) fields, which those schemas allow: a round trip through the
//   official client's serializer (@kubernetes/client-node) drops them, the difference names them.
// First it checks that it catches known mistakes. Exits 1 on any error.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ObjectSerializer } from '@kubernetes/client-node/dist/serializer.js';
import { getSerializationType } from '@kubernetes/client-node/dist/util.js';

const K8S = new URL('../k8s/', import.meta.url).pathname;

/** Paths of `actual` that `known` does not have. */
function unknownFields(actual, known, path = '') {
  if (Array.isArray(actual)) {
    return actual.flatMap((item, i) =>
      Array.isArray(known) ? unknownFields(item, known[i], `${path}[${i}]`) : [],
    );
  }
  if (!actual || typeof actual !== 'object') return [];
  return Object.keys(actual).flatMap((key) =>
    known && typeof known === 'object' && key in known
      ? unknownFields(actual[key], known[key], `${path}.${key}`)
      : [`${path}.${key}`],
  );
}

/** The problems of one Kubernetes object (none: valid). */
async function problems(object) {
  const { apiVersion, kind } = object;
  const found = [];
  try {
    const model = (await import(`kubernetes-models/${apiVersion}/${kind}`))[kind];
    new model(object).validate();
  } catch (err) {
    found.push(
      err.code === 'ERR_MODULE_NOT_FOUND' ? `no schema for ${apiVersion}/${kind}` : err.message,
    );
  }
  const type = getSerializationType(apiVersion, kind);
  const known = ObjectSerializer.serialize(
    ObjectSerializer.deserialize(structuredClone(object), type),
    type,
  );
  const unknown = unknownFields(object, known);
  if (unknown.length) found.push(`unknown field(s): ${unknown.join(', ')}`);
  return found;
}

/** Validates every document of a YAML stream; prints one line each; returns the number invalid. */
async function validateStream(source, text) {
  let invalid = 0;
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length) {
      invalid++;
      console.error(`FAIL ${source}: YAML ${doc.errors[0].message}`);
      continue;
    }
    const object = doc.toJS();
    if (!object) continue;
    // kustomize wraps long base64 values of generated Secrets; the API server's decoder skips line
    // breaks, the schema's "byte" format does not.
    if (object.kind === 'Secret' && object.data) {
      for (const key of Object.keys(object.data))
        object.data[key] = object.data[key].replace(/\s/g, '');
    }
    const id = `${source}: ${object.apiVersion} ${object.kind}/${object.metadata?.name}`;
    const found = await problems(object);
    if (found.length) {
      invalid++;
      console.error(`FAIL ${id}\n     ${found.join('\n     ')}`);
    } else {
      console.log(`ok   ${id}`);
    }
  }
  return invalid;
}

/** The validator must catch a misspelled field, a wrong type and a missing required field. */
async function selfCheck() {
  const broken = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'broken' },
    spec: {
      replicas: 'two',
      template: { spec: { containers: [{ name: 'x', imagee: 'x' }] } },
    },
  };
  const found = (await problems(broken)).join('\n');
  const expected = [
    'spec/replicas must be integer',
    'spec must have required property selector',
    '.spec.template.spec.containers[0].imagee',
  ];
  const missed = expected.filter((text) => !found.includes(text));
  if (missed.length)
    throw new Error(`the validator missed: ${missed.join('; ')}\n(it said: ${found})`);
}

function render(overlay) {
  try {
    return execFileSync('kubectl', ['kustomize', overlay], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    if (err.code === 'ENOENT')
      throw new Error('kubectl is needed (kubectl kustomize): install kubectl 1.21 or later');
    throw new Error(`kubectl kustomize ${overlay}: ${err.stderr || err.message}`);
  }
}

await selfCheck();
let invalid = 0;
let rendered = 0;
for (const overlay of readdirSync(join(K8S, 'overlays')).sort()) {
  const source = `k8s/overlays/${overlay}`;
  try {
    invalid += await validateStream(source, render(join(K8S, 'overlays', overlay)));
    rendered++;
  } catch (err) {
    invalid++;
    console.error(`FAIL ${source}: ${err.message}`);
  }
}
for (const template of readdirSync(K8S).filter((f) => f.endsWith('.yaml'))) {
  invalid += await validateStream(`k8s/${template}`, readFileSync(join(K8S, template), 'utf8'));
}
console.log(`k8s: ${rendered} overlay(s) rendered, ${invalid} invalid object(s)`);
process.exit(invalid || rendered === 0 ? 1 : 0);
