import { RampError } from '../rampError';
import type { FieldProblem } from '../plan/planValidationError';

/** Statuses whose answer means "your request was wrong": the CLI exits 2 for them. */
const BAD_INPUT_STATUSES = new Set([400, 413, 415, 422]);
/** Statuses a proxy or a restarting server answers: worth another try, and exit 3 when it persists. */
const UNAVAILABLE_STATUSES = new Set([429, 502, 503, 504]);

/** The Ramp API answered with an error: its HTTP status, its error code, and every detail it named. */
export class ApiRequestError extends RampError {
  readonly code: string;
  /** Read by src/cli/exitCodes.ts: bad input exits 2. */
  readonly badInput: boolean;
  /** Read by src/cli/exitCodes.ts: the server cannot answer now, exits 3. */
  readonly unreachable: boolean;
  /** Read by src/cli/exitCodes.ts: the token was refused (401) or lacks the grant (403), exits 4. */
  readonly denied: boolean;
  /** Read by src/cli/exitCodes.ts: the app already has an active rollout (409 ACTIVE_ROLLOUT_EXISTS), exits 5. */
  readonly busy: boolean;

  constructor(
    readonly status: number,
    apiCode: string,
    readonly apiMessage: string,
    readonly details: readonly FieldProblem[] = [],
    readonly request = '',
  ) {
    // Every detail on its own line with its path — unless the server's message already says it (one problem).
    const lines = details
      .map((d) => `${d.path ? `${d.path}: ` : ''}${d.message}`)
      .filter((l) => !apiMessage.includes(l));
    super(`${apiMessage}${lines.map((l) => `\n  ${l}`).join('')}`);
    this.code = apiCode;
    this.badInput = BAD_INPUT_STATUSES.has(status);
    this.unreachable = UNAVAILABLE_STATUSES.has(status);
    this.denied = status === 401 || status === 403;
    this.busy = status === 409 && apiCode === 'ACTIVE_ROLLOUT_EXISTS';
  }

  /** Worth retrying the same request later (the server is restarting or overloaded). */
  get retryable(): boolean {
    return this.unreachable || this.status >= 500;
  }
}
