/**
 * Ramp's typed errors, grouped by the layer that raises them: each a class with a stable \`code\` and a
 * message for users, carrying no HTTP status or exit code — src/api/errorStatus.ts and
 * src/cli/exitCodes.ts map them. Markers (bad input, unreachable, timed out) say how a caller should
 * take an error without naming its class.
 */
export { RampError } from './rampError';
export * from './markers';
export { userMessage } from './userMessage';
export * from './api';
export * from './cli';
export * from './engine';
export * from './kube';
export * from './plan';
