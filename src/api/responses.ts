/** The OpenAPI response entries routes share: JSON bodies by schema, and the error statuses. */
import type { ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { z, type ZodType } from 'zod';
import { errorBodySchema } from './schemas';

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Malformed request: a body that does not parse, a bad query parameter or path segment.',
  401: 'No bearer token, or one that is not valid.',
  403: 'The token may not use this verb in this namespace.',
  404: 'No such rollout (or no such endpoint).',
  409: 'Another rollout of the app is active, the operation does not fit the phase, or a concurrent change won.',
  413: 'The body is larger than the limit.',
  405: 'The path does not serve this method (the Allow header lists those it does).',
  415: 'The body is not in a content type this endpoint reads.',
  422: 'The plan does not validate (details name each field), or does not fit the cluster.',
  429: 'The token holds as many event streams as it may (or the server does); try again after Retry-After seconds.',
  500: 'Unexpected failure (logged with the request id).',
  502: 'The Kubernetes API answered unexpectedly.',
  503: 'A dependency (Redis, the Kubernetes API) is unavailable; try again.',
};

/** A JSON response with a zod schema. */
export function json(description: string, schema: ZodType): ResponseConfig {
  return { description, content: { 'application/json': { schema } } };
}

/** The error responses for these statuses, all in the one error shape. */
export function errors(...statuses: number[]): Record<string, ResponseConfig> {
  return Object.fromEntries(statuses.map((s) => [String(s), errorResponse(s)]));
}

function errorResponse(status: number): ResponseConfig {
  const r = json(ERROR_DESCRIPTIONS[status] ?? 'Error.', errorBodySchema);
  if (status === 429)
    return { ...r, headers: z.object({ 'Retry-After': z.string().openapi({ description: 'Seconds to wait' }) }) };
  return r;
}

/** Errors every authenticated namespace route can answer with. */
export const COMMON_ERRORS = [400, 401, 403, 500, 503] as const;
