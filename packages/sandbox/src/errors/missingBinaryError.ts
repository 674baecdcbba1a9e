import { SandboxBaseError } from './sandboxBaseError';

/** A program the sandbox runs (prometheus, redis-server, kubectl) is not installed, or not where it was said to be. */
export class MissingBinaryError extends SandboxBaseError {
  readonly code = 'MISSING_BINARY';

  constructor(
    readonly binary: string,
    readonly hint: string,
    options?: { cause?: unknown; path?: string },
  ) {
    super(`${binary} not found${options?.path ? ` at ${options.path}` : ''}: ${hint}`, options);
  }
}
