import { KubeConflictError } from '../errors';
/** Read-decide-write loops that start again when someone else wrote in between (409). */

/** Attempts at a read-decide-write before a persistent conflict is given up on. */
export const CONFLICT_ATTEMPTS = 5;

/**
 * Runs `attempt` (which must read, decide and write) until it does not end in KubeConflictError, at
 * most `attempts` times; then rethrows the last conflict. Other errors pass straight through.
 */
export async function retryOnConflict<T>(attempt: () => Promise<T>, attempts = CONFLICT_ATTEMPTS): Promise<T> {
  let last: KubeConflictError | undefined;
  for (let i = 0; i < attempts; i++) {
    try {
      return await attempt();
    } catch (e) {
      if (!(e instanceof KubeConflictError)) throw e;
      last = e;
    }
  }
  throw last;
}
