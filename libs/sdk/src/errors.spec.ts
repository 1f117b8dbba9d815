import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { errorFromAck, REQUEST_ERRORS, RequestError } from './errors';

/** The refusal codes docs/asyncapi.yaml says the server sends. */
function documentedCodes(): string[] {
  const doc = parse(readFileSync(join(__dirname, '../../../docs/asyncapi.yaml'), 'utf8')) as {
    operations: Record<string, { 'x-errors'?: { code: string }[] }>;
    components: { schemas: { ErrorAck: { properties: { code: { description: string } } } } };
  };
  const perEvent = Object.values(doc.operations).flatMap((op) =>
    (op['x-errors'] ?? []).map((e) => e.code),
  );
  // Every event can get these: the ErrorAck schema names them.
  const general = doc.components.schemas.ErrorAck.properties.code.description.match(
    /`(validation|internal|unknown_event)`/g,
  )!;
  return [...new Set([...general.map((c) => c.slice(1, -1)), ...perEvent])].sort();
}

const className = (code: string) =>
  code.replace(/(^|_)([a-z])/g, (_m, _sep, letter: string) => letter.toUpperCase()) + 'Error';

describe('SDK request errors', () => {
  it('have one class for each code the protocol document lists, named after it', () => {
    const codes = documentedCodes();
    expect(codes).toEqual(expect.arrayContaining(['validation', 'internal', 'unknown_event']));
    expect(Object.keys(REQUEST_ERRORS).sort()).toEqual(codes);
    for (const [code, ErrorClass] of Object.entries(REQUEST_ERRORS)) {
      expect([code, ErrorClass.name]).toEqual([code, className(code)]);
    }
  });

  it('turn an ack into its class, keeping code, text, retryAfterMs and ref', () => {
    const limited = errorFromAck({
      status: 'ERROR',
      error: 'rate limited',
      code: 'rate_limited',
      retryAfterMs: 1500,
    });
    expect(limited).toBeInstanceOf(REQUEST_ERRORS.rate_limited);
    expect([limited.name, limited.code, limited.message, limited.retryAfterMs]).toEqual([
      'RateLimitedError',
      'rate_limited',
      'rate limited',
      1500,
    ]);
    const internal = errorFromAck({
      status: 'ERROR',
      error: 'internal error',
      code: 'internal',
      ref: '0badc0de',
    });
    expect([internal.constructor, internal.ref]).toEqual([REQUEST_ERRORS.internal, '0badc0de']);
  });

  it('keep an unknown code (a newer server) as a plain RequestError', () => {
    const err = errorFromAck({ status: 'ERROR', error: 'something new', code: 'toString' });
    expect([err.constructor, err.code, err.message]).toEqual([
      RequestError,
      'toString',
      'something new',
    ]);
  });
});
