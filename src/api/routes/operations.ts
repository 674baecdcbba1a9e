/** Operations on an app's latest rollout (or ?rollout=<id>): promote (--full), abort, retry, pause, resume. */
import type { Request, Response } from 'express';
import { z } from 'zod';
import { operate, type Operation } from '../../engine/rollouts';
import { decodeBody, JSON_TYPES } from '../body';
import { appParamsSchema, parseRequestPart, rolloutQuerySchema } from '../params';
import { contextOf } from '../requestContext';
import { COMMON_ERRORS, errors, json } from '../responses';
import { findRollout } from '../rolloutLookup';
import type { ApiContext, ApiRoute } from '../routeTable';
import {
  OPERATIONS,
  operationResultSchema,
  promoteBodySchema,
  rolloutViewSchema,
  type OperationName,
} from '../schemas';
import { rolloutView } from '../views';

const noOptionsSchema = z.strictObject({}).openapi('NoOptions');

const SUMMARIES: Record<OperationName, string> = {
  promote: 'Go on to the next step now (full: true skips the remaining steps and analysis)',
  abort: 'Roll back: all traffic to stable, then the new pods scaled down',
  retry: 'Start the next attempt of a rolled-back or failed rollout',
  pause: 'Hold a progressing rollout where it is',
  resume: 'Go on after a pause by request (a pause step needs promote)',
};

function operation(name: OperationName, body: { full?: boolean }): Operation {
  return name === 'promote' && body.full ? 'promoteFull' : name;
}

function handle(api: ApiContext, name: OperationName) {
  const bodySchema = name === 'promote' ? promoteBodySchema : noOptionsSchema;
  return async (req: Request, res: Response): Promise<void> => {
    const { ns, name: app } = parseRequestPart(appParamsSchema, req.params, 'path');
    const query = parseRequestPart(rolloutQuerySchema, req.query, 'query');
    const body = parseRequestPart(bodySchema, decodeBody(req, JSON_TYPES), 'body');
    const ctx = contextOf(res);
    // Named in the error log line even when the lookup itself fails.
    ctx.rolloutId = query.rollout;
    const target = await findRollout(api.deps, ns, app, query.rollout);
    ctx.rolloutId = target.id;
    const op = operation(name, body);
    const { record, unchanged } = await operate(api.deps, target.id, op);
    ctx.log.info({ rolloutId: target.id, operation: op, result: record.id, unchanged }, 'operation applied');
    res.status(name === 'retry' ? 201 : 200).json({ ...rolloutView(record), ...(unchanged ? { unchanged } : {}) });
  };
}

/** One route per operation. */
export function operationRoutes(api: ApiContext): ApiRoute[] {
  return OPERATIONS.map((name) => ({
    method: 'post' as const,
    path: `/api/v1/namespaces/:ns/rollouts/:name/${name}`,
    verb: 'operate' as const,
    // A retry starts a new rollout: it creates ReplicaSets as a create does.
    workload: name === 'retry',
    params: appParamsSchema,
    body: true,
    handler: handle(api, name),
    doc: {
      operationId: `${name}Rollout`,
      summary: SUMMARIES[name],
      request: {
        query: rolloutQuerySchema,
        body: {
          required: false,
          content: { 'application/json': { schema: name === 'promote' ? promoteBodySchema : noOptionsSchema } },
        },
      },
      responses: {
        ...(name === 'retry'
          ? { '201': json('The new attempt, created and queued.', rolloutViewSchema) }
          : {
              '200': json(
                'The rollout after the operation; `unchanged` says why nothing changed when it was already where asked (pause a paused rollout).',
                operationResultSchema,
              ),
            }),
        ...errors(...COMMON_ERRORS, 404, 409, 413, 415, ...(name === 'retry' ? [422, 502] : [])),
      },
    },
  }));
}
