/**
 * What a request carries through the middleware chain: its id, a logger bound to it, and, once
 * authenticated, its principal. Kept in `res.locals` behind typed accessors.
 */
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import type { Principal } from './auth/authenticator';

export interface RequestContext {
  requestId: string;
  log: Logger;
  principal?: Principal;
  /** Set once a handler knows which rollout the request is about, for the error log line. */
  rolloutId?: string;
}

const KEY = 'rampContext';
// A caller's request id is echoed only when it looks like one; anything else is replaced.
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request's context; present on every request that went through `requestContext`. */
export function contextOf(res: Response): RequestContext {
  const ctx = (res.locals as Record<string, unknown>)[KEY] as RequestContext | undefined;
  if (!ctx) throw new Error('requestContext middleware did not run');
  return ctx;
}

/** Gives each request an id (the caller's X-Request-Id when sane) and a logger carrying it. */
export function requestContext(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const given = req.get('x-request-id');
    const requestId = given && REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader('X-Request-Id', requestId);
    const ctx: RequestContext = { requestId, log: logger.child({ requestId }) };
    (res.locals as Record<string, unknown>)[KEY] = ctx;
    next();
  };
}
