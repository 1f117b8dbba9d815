import { describe, expect, it } from '@jest/globals';
import { HttpError, RateLimitedError, RequestTimeoutError, UserNotFoundError } from '@app/sdk';
import { explainError, explainSessionEnd, waitText } from './explain';

describe('web client wording', () => {
  it('says how long to wait, rounded up, in the unit that reads best', () => {
    expect([1, 999, 1000, 1001, 119_000, 120_000, 7_140_000, 7_140_001].map(waitText)).toEqual([
      '1 s',
      '1 s',
      '1 s',
      '2 s',
      '119 s',
      '2 min',
      '119 min',
      '2 h',
    ]);
  });

  it('explains refusals with their text, and rate limits with the wait', () => {
    const limited = new RateLimitedError({
      status: 'ERROR',
      error: 'rate limited',
      code: 'rate_limited',
      retryAfterMs: 4200,
    });
    const refused = new UserNotFoundError({
      status: 'ERROR',
      error: 'no user with that email',
      code: 'user_not_found',
    });
    expect([
      explainError(limited),
      explainError(new HttpError(429, 'rate_limited', 'rate limited', 61_000)),
      explainError(refused),
      explainError(new RequestTimeoutError('createGroup', 15000)),
      explainError(undefined),
    ]).toEqual([
      'rate limited: try again in 5 s',
      'rate limited: try again in 61 s',
      'no user with that email',
      'createGroup got no answer within 15000 ms',
      'something went wrong',
    ]);
  });

  it('says why the session ended', () => {
    expect(
      ['logged out', 'password changed', 'token expired', 'server gone'].map(explainSessionEnd),
    ).toEqual([
      'You were logged out. Log in again.',
      'Your password was changed. Log in with the new one.',
      'Your session expired. Log in again.',
      'Signed out: server gone. Log in again.',
    ]);
  });
});
