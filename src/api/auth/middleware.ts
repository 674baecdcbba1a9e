/**
 * Express glue for an Authenticator: `authenticate` (every route but the open ones) turns the bearer
 * token into a principal or a 401; `authorize(verb)` (per route) checks the verb in the URL's
 * namespace or answers 403.
 */
import { ForbiddenError, UnauthorizedError } from '../../errors';
import type { NextFunction, Request, Response } from 'express';
import { contextOf } from '../requestContext';
import type { Verb } from '../schemas';
import type { Authenticator } from './authenticator';

/** The paths served without a token unless configured otherwise. */
export const DEFAULT_OPEN_PATHS: readonly string[] = ['/healthz', '/readyz', '/metrics', '/openapi.json'];

function bearerToken(req: Request): string | undefined {
  const header = req.get('authorization');
  if (!header) return undefined;
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  if (!m) throw new UnauthorizedError('invalid');
  return m[1];
}

/** Authenticates every request whose path is not open; sets the principal on the request context. */
export function authenticate(authenticator: Authenticator, openPaths: readonly string[]) {
  const open = new Set(openPaths);
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    if (open.has(req.path)) return next();
    const token = bearerToken(req);
    if (token === undefined) throw new UnauthorizedError('missing');
    const principal = await authenticator.authenticate(token);
    if (!principal) throw new UnauthorizedError('invalid');
    const ctx = contextOf(res);
    ctx.principal = principal;
    ctx.log = ctx.log.child({ subject: principal.subject });
    next();
  };
}

/** Asks the authenticator's workload hook, when it has one, about the URL's namespace. Must run after `authorize`. */
export function authorizeWorkload(authenticator: Authenticator) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const { principal } = contextOf(res);
    if (!principal) throw new UnauthorizedError('missing');
    const ns = typeof req.params.ns === 'string' ? req.params.ns : '';
    if (authenticator.authorizeWorkload && !(await authenticator.authorizeWorkload(principal, ns)))
      throw new ForbiddenError(principal.subject, 'create the ReplicaSets of', ns);
    next();
  };
}

/** Requires `verb` in the namespace of the URL (`:ns`). Must run after `authenticate`. */
export function authorize(authenticator: Authenticator, verb: Verb) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const { principal } = contextOf(res);
    // An open path that still reaches a route with a verb has no principal: nothing is granted.
    if (!principal) throw new UnauthorizedError('missing');
    const ns = typeof req.params.ns === 'string' ? req.params.ns : '';
    if (!(await authenticator.authorize(principal, verb, ns))) throw new ForbiddenError(principal.subject, verb, ns);
    next();
  };
}
