/**
 * The API's one error middleware: every failure becomes `{ error: { code, message, details } }` with
 * the status src/api/errorStatus.ts gives its class. Ramp's own errors speak for themselves; anything
 * else is a 500 with a generic message, logged with the request and rollout ids — never a stack trace
 * in a body.
 */
import {
  ActiveRolloutExistsError,
  BadRequestError,
  ConcurrentUpdateError,
  EndpointNotFoundError,
  InvalidOperationError,
  InvalidOptionError,
  MethodNotAllowedError,
  PlanValidationError,
  PodPolicyError,
  RampError,
  TooManyRequestsError,
  UnauthorizedError,
} from '../errors';
import { httpStatusFor } from './errorStatus';
import type { NextFunction, Request, Response } from 'express';
import { contextOf } from './requestContext';
import type { ErrorBody } from './schemas';

type Details = ErrorBody['error']['details'];

const INTERNAL_MESSAGE = 'internal error; the server log has the details under this request id';

function detailsOf(err: RampError): Details {
  if (err instanceof PlanValidationError || err instanceof BadRequestError || err instanceof PodPolicyError)
    return err.problems.map((p) => ({ path: p.path, message: p.message }));
  if (err instanceof ActiveRolloutExistsError) return [{ path: 'activeRollout', message: err.activeRolloutId }];
  if (err instanceof InvalidOperationError) return [{ path: 'phase', message: err.phase }];
  if (err instanceof ConcurrentUpdateError) return [{ path: 'rollout', message: err.rolloutId }];
  if (err instanceof InvalidOptionError) return [{ path: err.option, message: err.problem }];
  return [];
}

/** The status and body an error answers with. */
export function errorResponse(err: unknown, requestId: string): { status: number; body: ErrorBody } {
  const status = httpStatusFor(err);
  if (err instanceof RampError && status < 500)
    return { status, body: { error: { code: err.code, message: err.message, details: detailsOf(err) } } };
  // 5xx from our own classes (Kubernetes or Redis unavailable) still say what was unavailable; their messages hold no secrets.
  if (err instanceof RampError && status !== 500)
    return { status, body: { error: { code: err.code, message: err.message, details: [] } } };
  return {
    status: 500,
    body: { error: { code: 'INTERNAL', message: `${INTERNAL_MESSAGE} (${requestId})`, details: [] } },
  };
}

/** Answers unmatched requests with 404 in the error shape. */
export function notFound(req: Request, _res: Response, next: NextFunction): void {
  next(new EndpointNotFoundError(req.method, req.path));
}

/** The error middleware (registered last). */
export function errorHandler() {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const ctx = contextOf(res);
    const { status, body } = errorResponse(err, ctx.requestId);
    const fields = {
      err,
      status,
      rolloutId: ctx.rolloutId,
      method: req.method,
      path: req.path,
      subject: ctx.principal?.subject,
    };
    if (status >= 500) ctx.log.error(fields, 'request failed');
    else ctx.log.info({ ...fields, err: undefined, code: body.error.code }, 'request refused');
    if (res.headersSent) {
      // A stream already under way (SSE) cannot change its status: end it; the client sees the cut.
      res.destroy();
      return;
    }
    if (err instanceof TooManyRequestsError) res.setHeader('Retry-After', String(err.retryAfterSeconds));
    if (err instanceof MethodNotAllowedError) res.setHeader('Allow', err.allowed.join(', '));
    if (err instanceof UnauthorizedError)
      res.setHeader(
        'WWW-Authenticate',
        err.reason === 'missing' ? 'Bearer realm="ramp"' : 'Bearer realm="ramp", error="invalid_token"',
      );
    res.status(status).json(body);
  };
}
