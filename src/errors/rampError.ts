/**
 * The base of Ramp's typed errors: a stable `code` for machines, a message for users, the `cause`
 * when there is one. No HTTP status or exit code here: src/api/errorStatus.ts and src/cli/exitCodes.ts map classes to those.
 */
export abstract class RampError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
