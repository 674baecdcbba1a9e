/**
 * Path and query parameters of the API as zod schemas (the OpenAPI document lists them from here).
 * Query strings are strict: an unknown parameter is a 400, so `?dryrun=true` cannot quietly start a
 * real rollout.
 */
import { BadRequestError } from '../errors';
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { issuesToProblems } from '../plan/parse';
import { dnsLabel } from '../plan/schema';

extendZodWithOpenApi(z);

const STREAM_ID = /^\d{1,20}(-\d{1,20})?$/;
const UINT64_MAX = 18446744073709551615n;

/** An event id as Redis writes them: `ms-seq`, each part a 64-bit unsigned integer (anything larger is a 400, not an error later). */
const streamIdSchema = z
  .string()
  .regex(STREAM_ID, { error: 'expected an event id like 1700000000000-0' })
  .refine((v) => !STREAM_ID.test(v) || v.split('-').every((part) => BigInt(part) <= UINT64_MAX), {
    error: 'expected an event id like 1700000000000-0 (each part at most 18446744073709551615)',
  });

export const namespaceParam = dnsLabel('a namespace').openapi({ param: { name: 'ns', in: 'path' }, example: 'shop' });
export const appParam = dnsLabel('an app name').openapi({ param: { name: 'name', in: 'path' }, example: 'checkout' });

export const nsParamsSchema = z.object({ ns: namespaceParam });
export const appParamsSchema = z.object({ ns: namespaceParam, name: appParam });

const rolloutIdQuery = z.string().min(1).max(512).optional().openapi({
  description: 'A specific rollout of the app (its id) instead of the latest.',
  example: 'shop.checkout.3',
});

export const createQuerySchema = z.strictObject({
  dryRun: z
    .enum(['true', 'false'], { error: 'expected true or false' })
    .optional()
    .openapi({ description: 'Validate against the schema and the cluster, write nothing.' }),
});

export const listQuerySchema = z.strictObject({
  app: dnsLabel('an app name').optional().openapi({ description: "Only this app's rollouts." }),
  // The pattern is the whole rule, so the OpenAPI document says exactly what the server takes (no 0).
  limit: z
    .string()
    .regex(/^(?:[1-9]\d{0,2}|1000)$/, { error: 'expected an integer 1–1000' })
    .optional()
    .openapi({ description: 'At most this many (1–1000, default 50).' }),
});

export const rolloutQuerySchema = z.strictObject({ rollout: rolloutIdQuery });

export const eventsQuerySchema = z.strictObject({
  rollout: rolloutIdQuery,
  after: streamIdSchema
    .optional()
    .openapi({ description: 'Resume after this event id (the Last-Event-ID header wins when both are given).' }),
});

// Empty is documented because it is served: the handler reads an empty header as none (from the start),
// as a client that saw no event id may send it.
export const lastEventIdHeader = z
  .union([z.literal(''), streamIdSchema])
  .optional()
  .openapi({
    param: { name: 'Last-Event-ID', in: 'header' },
    description: 'Resume after this event id (what a reconnecting EventSource sends); empty: from the start.',
  });
export const eventsHeadersSchema = z.object({ 'Last-Event-ID': lastEventIdHeader });

/** Parses a request part or throws BadRequestError naming each bad field (prefixed with where it was). */
export function parseRequestPart<T extends z.ZodType>(
  schema: T,
  input: unknown,
  where: 'path' | 'query' | 'header' | 'body',
): z.output<T> {
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const problems = issuesToProblems(parsed.error.issues, [where]);
  throw new BadRequestError(
    `invalid ${where === 'path' ? 'path' : where === 'query' ? 'query string' : where}: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
    problems,
  );
}

/** Middleware: 400 unless the path parameters fit `schema` (before any verb is checked or body read). */
export function validatePath(schema: z.ZodType) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    parseRequestPart(schema, req.params, 'path');
    next();
  };
}
