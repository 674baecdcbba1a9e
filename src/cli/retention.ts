/** The `--retention` flag of `ramp worker` and `ramp server --worker`: how long finished rollouts are kept. */
import { CliUsageError } from '../errors';
import { parseDuration } from '../plan/duration';

export const RETENTION_HELP =
  'keep finished rollouts and their events this long after their last change (each app keeps its latest anyway); 0 keeps them forever';
/** 30 days. */
export const DEFAULT_RETENTION = '720h';

/** Milliseconds of a `--retention` value. */
export function parseRetention(value: string): number {
  if (value === '0') return 0;
  const ms = parseDuration(value);
  if (ms === undefined)
    throw new CliUsageError(
      `--retention: expected a duration like 720h or 168h (0 keeps them forever), got "${value}"`,
    );
  return ms;
}
