import { SandboxBaseError } from './sandboxBaseError';

/** A server program the sandbox started (Prometheus, Redis) exited or hung before it was ready. */
export class ServerProcessExitedError extends SandboxBaseError {
  readonly code = 'SERVER_PROCESS_EXITED';

  constructor(
    readonly program: string,
    readonly how: string,
    readonly logTail: string,
    readonly logFile: string,
  ) {
    super(`${program} ${how} before it was ready; last lines of ${logFile}:\n${logTail || '(empty log)'}`);
  }
}
