/**
 * What a worker does when a reconcile throws (pure policy). A failure that passes by itself — the
 * Kubernetes API or Redis away, a 5xx, a 429, a timeout — is retried with capped back-off for as long
 * as it lasts, and the rollout says what it waits for; anything else, after a few tries in a row, makes
 * the rollout fail safe (traffic to stable, then Failed). Nothing is left mid-traffic in silence.
 */
import { KubeTransientError } from '../errors';

/** Back-off never grows past this, so a rollout moves on within about this long of the dependency's return. */
export const MAX_BACKOFF_MS = 30_000;
/** Failures in a row that are not transient before the rollout fails safe. */
export const FAIL_SAFE_AFTER = 3;

/** Whether an error passes by itself (worth retrying for as long as it lasts). */
export function isTransient(err: unknown): boolean {
  if (err instanceof KubeTransientError) return true;
  // ioredis while Redis is away; node's socket errors.
  const text = err instanceof Error ? `${err.name} ${err.message} ${(err as { code?: string }).code ?? ''}` : '';
  return /Connection is closed|MaxRetriesPerRequest|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH/.test(text);
}

/** How long to wait before try `failures + 1`: 1 s, 2 s, 4 s, … at most MAX_BACKOFF_MS. */
export function backoffMs(failures: number): number {
  return Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.max(0, failures - 1));
}

/** What an error is waiting on, for the rollout's events. */
export function waitingOn(err: unknown): string {
  if (err instanceof KubeTransientError) return 'the Kubernetes API';
  return 'Redis';
}
