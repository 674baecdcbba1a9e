/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true }] },
  testTimeout: 60000,
  // Integration tests start real processes (pods, Prometheus); two at a time suits this 2-core machine.
  maxWorkers: 2,
  verbose: true,
};
