/** @type {import('jest').Config} `npm run test:compose` (deploy/compose-test.sh): the compose fleet. */
module.exports = {
  rootDir: '../..',
  roots: ['<rootDir>/test/compose'],
  testRegex: '\\.compose-spec\\.ts$',
  moduleFileExtensions: ['js', 'json', 'ts'],
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }] },
  testTimeout: 600_000,
};
