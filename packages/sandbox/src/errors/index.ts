/** The sandbox's typed errors. */
export { SandboxBaseError } from './sandboxBaseError';
export { MissingBinaryError } from './missingBinaryError';
export { PortInUseError } from './portInUseError';
export { SandboxError } from './sandboxError';
export { ServerProcessExitedError } from './serverProcessExitedError';
