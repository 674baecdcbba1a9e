/** Readiness: Redis must answer a read within a deadline (its commands otherwise wait through reconnects). */
import { NotReadyError } from '../errors';
import type { EngineDeps } from '../engine/deps';

/** Default: answer within 2 s. */
export const DEFAULT_READY_TIMEOUT_MS = 2000;

/** A check that reads one (absent) record through the store's connection; NotReadyError when Redis does not answer in time. */
export function redisReadiness(
  deps: Pick<EngineDeps, 'store'>,
  timeoutMs = DEFAULT_READY_TIMEOUT_MS,
): () => Promise<void> {
  return async () => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new NotReadyError('redis', `did not answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([deps.store.get('readyz-probe'), deadline]);
    } catch (err) {
      throw err instanceof NotReadyError
        ? err
        : new NotReadyError('redis', `failed: ${(err as Error).message}`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  };
}
