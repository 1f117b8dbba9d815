import { DomainError } from '@app/common';

/** Over a rate limit: the ERROR ack (or HTTP 429) says when to try again. */
export class RateLimitedError extends DomainError {
  constructor(readonly retryAfterMs: number) {
    super('rate_limited', 'rate limited', { retryAfterMs });
  }
}
