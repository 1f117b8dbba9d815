/**
 * `npm run test:browser`: the web client in headless Chromium against a real gateway process.
 * Kept out of `npm test` (jest.config.js), since it needs Chromium (apt-get install chromium).
 */
import base from './jest.config.js';

/** @type {import('jest').Config} */
export default {
  ...base,
  roots: ['<rootDir>/test/browser'],
  testRegex: '.*\\.browser-spec\\.ts$',
  testTimeout: 120_000,
};
