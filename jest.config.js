/** @type {import('jest').Config} */
// @kubernetes/client-node 1.x and a few of its dependencies ship only ES modules; Node runs them through
// require(esm), but jest's module system needs them transpiled to CommonJS, so they are not ignored.
const esmPackages = ['@kubernetes/client-node', 'openid-client', 'oauth4webapi', 'jose', 'jsonpath-plus', 'rfc4648'];
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/packages/kube-schemas/test', '<rootDir>/packages/sandbox/test'],
  // The workspace packages are tested from their sources (what `paths` in tsconfig.json does for tsc);
  // compiled code finds them through node_modules/@ramp.
  moduleNameMapper: {
    '^@ramp/kube-schemas$': '<rootDir>/packages/kube-schemas/src/index.ts',
    '^@ramp/sandbox$': '<rootDir>/packages/sandbox/src/index.ts',
    '^@ramp/sandbox/(.*)$': '<rootDir>/packages/sandbox/src/$1',
  },
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', {}],
    '^.+\\.m?js$': [
      'ts-jest',
      { tsconfig: { allowJs: true, isolatedModules: true, module: 'commonjs', target: 'ES2022' } },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join('|')})/)`],
  globalSetup: '<rootDir>/test/globalSetup.ts',
  globalTeardown: '<rootDir>/test/globalTeardown.ts',
  testTimeout: 60000,
  // Integration tests start real processes (pods, Prometheus); two at a time suits this 2-core machine.
  maxWorkers: 2,
  verbose: true,
};
