import { Global, Module } from '@nestjs/common';
import { RateLimiter } from './rate-limiter';

/** Rate limits (needs APP_CONFIG, and REDIS when the fleet shares them). */
@Global()
@Module({ providers: [RateLimiter], exports: [RateLimiter] })
export class LimitsModule {}
