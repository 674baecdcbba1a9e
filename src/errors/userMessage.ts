import { RampError } from './rampError';

/** The one-line message a user sees for an error: ours verbatim, anything else without a stack. */
export function userMessage(err: unknown): string {
  if (err instanceof RampError) return err.message;
  if (err instanceof Error) return err.message.split('\n')[0];
  return String(err);
}
