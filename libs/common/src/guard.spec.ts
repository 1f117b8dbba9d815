import { Logger } from '@nestjs/common';
import { guard, logOnly } from './guard';

describe('guard', () => {
  let logged: string[];
  beforeEach(() => {
    logged = [];
    jest.spyOn(Logger.prototype, 'error').mockImplementation((message: unknown) => {
      logged.push(String(message));
    });
  });
  afterEach(() => jest.restoreAllMocks());

  const REF = /^[0-9a-f]{8}$/;

  it('answers a synchronous throw on the ack callback with internal error and a logged ref', async () => {
    const acks: unknown[] = [];
    const listener = guard('a test listener', (_payload: unknown, _ack: (r: unknown) => void) => {
      throw new Error('secret detail');
    });

    await listener({ a: 1 }, (reply) => acks.push(reply));

    expect(acks).toEqual([
      {
        status: 'ERROR',
        error: 'internal error',
        code: 'internal',
        ref: expect.stringMatching(REF),
      },
    ]);
    const { ref } = acks[0] as { ref: string };
    expect(logged).toEqual([`internal error ref=${ref} in a test listener: secret detail`]);
  });

  it('answers a rejected promise the same way, and never rejects itself', async () => {
    const acks: unknown[] = [];
    const listener = guard('an async listener', async (_ack: (r: unknown) => void) => {
      await Promise.resolve();
      throw new TypeError('event.slice is not a function');
    });

    await expect(listener((reply) => acks.push(reply))).resolves.toBeUndefined();

    expect(acks).toEqual([expect.objectContaining({ code: 'internal', error: 'internal error' })]);
    expect(logged).toEqual([expect.stringContaining('event.slice is not a function')]);
  });

  it('passes arguments and results through untouched when nothing fails', async () => {
    const seen: unknown[][] = [];
    const sync = guard('sync', (...args: unknown[]) => void seen.push(args));
    const async = guard('async', async (n: number) => seen.push([n * 2]));

    expect(sync(1, 'two')).toBeUndefined();
    await expect(async(21)).resolves.toBeUndefined();

    expect(seen).toEqual([[1, 'two'], [42]]);
    expect(logged).toEqual([]);
  });

  it('lets the caller choose the answer (a middleware calls next), and survives a failing answer', async () => {
    const nexts: unknown[] = [];
    const middleware = guard(
      'a middleware',
      (_socket: object, _next: (err?: Error) => void) => {
        throw new Error('boom');
      },
      (ref, _socket, next) => next(new Error(`internal error ${ref}`)),
    );
    await middleware({}, (err) => nexts.push(err?.message));
    expect(nexts).toEqual([expect.stringMatching(/^internal error [0-9a-f]{8}$/)]);

    const badAnswer = guard(
      'a listener',
      () => {
        throw new Error('first');
      },
      () => {
        throw new Error('second');
      },
    );
    await badAnswer();
    expect(logged.slice(1)).toEqual([
      expect.stringContaining('in a listener: first'),
      expect.stringContaining('in a listener (answering a failure): second'),
    ]);
  });

  it('with logOnly, only logs (no callback is called, even when one is there)', async () => {
    const called = jest.fn();
    await guard(
      'a delivery ack',
      (_err: unknown, _cb: () => void) => {
        throw new Error('x');
      },
      logOnly,
    )(null, called);
    expect(called).not.toHaveBeenCalled();
    expect(logged).toHaveLength(1);
  });
});
