export * from './client-ip';
export * from './gcra';
export * from './limits.errors';
export * from './limits.module';
export * from './rate-limiter';
