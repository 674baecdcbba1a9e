/** The cli layer's errors. */
export { ApiRequestError } from './apiRequestError';
export { ApiUnreachableError } from './apiUnreachableError';
export { CliUsageError } from './cliUsageError';
export { InvalidApiResponseError } from './invalidApiResponseError';
export { SandboxError } from './sandboxError';
export { WaitTimeoutError } from './waitTimeoutError';
