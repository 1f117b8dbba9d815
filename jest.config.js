/** @type {import('jest').Config} */
module.exports = {
  rootDir: '.',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/test'],
  testRegex: '.*\\.(e2e-)?spec\\.ts$',
  moduleFileExtensions: ['js', 'json', 'ts'],
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }] },
  moduleNameMapper: {
    '^@app/(auth|common|contacts|database|delivery|desktop|groups|limits|presence|protocol|sdk)(|/.*)$':
      '<rootDir>/libs/$1/src$2',
    '^(\\.{1,2}/.*)\\.js$': '$1', // the generated Prisma client imports ./x.js; its sources are ./x.ts
  },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 30_000,
};
