/**
 * Refuses a request with 503 NOT_READY while the engine's Redis connection is lost. Its commands wait
 * through reconnects, so without this a request would hang until Redis came back or the client gave
 * up; a 503 at once tells the CLI (which retries 5xx) and load balancers what is going on.
 */
import { NotReadyError } from '../errors';
import type { RequestHandler } from 'express';
import type { EngineDeps } from '../engine/deps';

export function requireRedis(deps: Pick<EngineDeps, 'store'>): RequestHandler {
  return (_req, _res, next) => {
    if (deps.store.available) next();
    else next(new NotReadyError('redis', 'is not connected; retry shortly'));
  };
}
