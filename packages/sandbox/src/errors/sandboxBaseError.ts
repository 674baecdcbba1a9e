/**
 * The base of the sandbox's typed errors: a stable `code` for machines, a message for users, the `cause`
 * when there is one. The sandbox knows nothing of Ramp's CLI: a CLI reads an error's code, message and
 * marker properties (`badInput`, `unreachable`, `timedOut`: true when set) by their shape.
 */
export abstract class SandboxBaseError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
