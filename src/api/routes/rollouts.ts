/** Rollouts as a resource: create (or dry-run) from a plan, list a namespace's, show one with its history. */
import type { Request, Response } from 'express';
import { z } from 'zod';
import { createRollout } from '../../engine/rollouts';
import { planSchema } from '../../plan/schema';
import { decodeBody, decodePlanBody, JSON_TYPES, PLAN_TYPES } from '../body';
import { NoUndoTargetError } from '../../errors';
import { undoTarget } from '../../engine/undo';
import { startRelease } from '../../engine/release';
import {
  appParamsSchema,
  createQuerySchema,
  listQuerySchema,
  nsParamsSchema,
  parseRequestPart,
  rolloutQuerySchema,
} from '../params';
import { planFromBody } from '../planBody';
import { contextOf } from '../requestContext';
import { COMMON_ERRORS, errors, json } from '../responses';
import { findRollout, listAppRollouts } from '../rolloutLookup';
import type { ApiContext, ApiRoute } from '../routeTable';
import { dryRunResultSchema, rolloutListSchema, rolloutViewSchema, rolloutWithHistorySchema } from '../schemas';
import { eventView, rolloutView } from '../views';

const BASE = '/api/v1/namespaces/:ns/rollouts';
const DEFAULT_LIMIT = 50;
/** How far back `undo` looks for a promoted rollout. */
const UNDO_LOOKBACK = 100;

/** The path of an app's rollout resource (for Location headers). */
export function rolloutPath(ns: string, app: string, rolloutId?: string): string {
  return `/api/v1/namespaces/${ns}/rollouts/${app}${rolloutId ? `?rollout=${encodeURIComponent(rolloutId)}` : ''}`;
}

function create(api: ApiContext) {
  return async (req: Request, res: Response): Promise<void> => {
    const { ns } = parseRequestPart(nsParamsSchema, req.params, 'path');
    const query = parseRequestPart(createQuerySchema, req.query, 'query');
    const plan = planFromBody(await decodePlanBody(req, api.yaml), ns);
    const dryRun = query.dryRun === 'true';
    const record = await createRollout(api.deps, plan, { dryRun, createdBy: contextOf(res).principal?.subject });
    if (dryRun) {
      res.status(200).json({ dryRun: true, rollout: rolloutView(record) });
      return;
    }
    const ctx = contextOf(res);
    ctx.rolloutId = record.id;
    ctx.log.info({ rolloutId: record.id, app: record.app }, 'rollout created');
    res
      .status(201)
      .location(rolloutPath(ns, record.app, record.id))
      .json(rolloutView(record));
  };
}

function list(api: ApiContext) {
  return async (req: Request, res: Response): Promise<void> => {
    const { ns } = parseRequestPart(nsParamsSchema, req.params, 'path');
    const query = parseRequestPart(listQuerySchema, req.query, 'query');
    const limit = query.limit === undefined ? DEFAULT_LIMIT : Number(query.limit);
    const records =
      query.app === undefined
        ? await api.deps.store.list(ns, { limit })
        : await listAppRollouts(api.deps, ns, query.app, limit);
    res.json({ items: records.map(rolloutView) });
  };
}

function show(api: ApiContext) {
  return async (req: Request, res: Response): Promise<void> => {
    const { ns, name } = parseRequestPart(appParamsSchema, req.params, 'path');
    const query = parseRequestPart(rolloutQuerySchema, req.query, 'query');
    const ctx = contextOf(res);
    // Named in the error log line even when the lookup itself fails.
    ctx.rolloutId = query.rollout;
    const record = await findRollout(api.deps, ns, name, query.rollout);
    ctx.rolloutId = record.id;
    const history = await api.deps.events.read(record.id);
    res.json({ ...rolloutView(record), history: history.map(eventView) });
  };
}

const undoBodySchema = z
  .strictObject({
    /** The revision to go back to; default the one promoted before the running one. */
    toRevision: z
      .string()
      .regex(/^[a-z0-9]{1,63}$/, { error: 'expected a revision (as ramp history shows it)' })
      .optional(),
  })
  .openapi('UndoOptions');

/** Starts the plan of an earlier promoted rollout again: a rollout back to its revision, through its strategy. */
function undo(api: ApiContext) {
  return async (req: Request, res: Response): Promise<void> => {
    const { ns, name } = parseRequestPart(appParamsSchema, req.params, 'path');
    const body = parseRequestPart(undoBodySchema, decodeBody(req, JSON_TYPES), 'body');
    const found = undoTarget(await listAppRollouts(api.deps, ns, name, UNDO_LOOKBACK), body.toRevision);
    if ('why' in found) throw new NoUndoTargetError(ns, name, found.why);
    const ctx = contextOf(res);
    const record = await createRollout(api.deps, found.rollout.plan, {
      createdBy: ctx.principal?.subject,
      undoOf: found.rollout.id,
    });
    ctx.rolloutId = record.id;
    ctx.log.info({ rolloutId: record.id, app: record.app, undoOf: found.rollout.id }, 'undo started');
    res
      .status(201)
      .location(rolloutPath(ns, record.app, record.id))
      .json(rolloutView(record));
  };
}

const releaseBodySchema = z.strictObject({}).openapi('ReleaseOptions');

/** Hands an adopted app back to its Deployment: a release, carried out by workers as rollouts are. */
function release(api: ApiContext) {
  return async (req: Request, res: Response): Promise<void> => {
    const { ns, name } = parseRequestPart(appParamsSchema, req.params, 'path');
    parseRequestPart(releaseBodySchema, decodeBody(req, JSON_TYPES), 'body');
    const ctx = contextOf(res);
    const record = await startRelease(api.deps, ns, name, { createdBy: ctx.principal?.subject });
    ctx.rolloutId = record.id;
    ctx.log.info({ rolloutId: record.id, app: record.app, deployment: record.release?.deployment }, 'release started');
    res
      .status(201)
      .location(rolloutPath(ns, record.app, record.id))
      .json(rolloutView(record));
  };
}

const planBody = {
  description:
    'The plan (kind Rollout). metadata.namespace may be left out (the namespace in the path is used) or must equal it.',
  required: true,
  content: Object.fromEntries(PLAN_TYPES.map((t) => [t, { schema: planSchema }])),
};

/** The rollout resource routes. */
export function rolloutRoutes(api: ApiContext): ApiRoute[] {
  return [
    {
      method: 'post',
      path: `${BASE}/:name/undo`,
      verb: 'write',
      workload: true,
      params: appParamsSchema,
      body: true,
      handler: undo(api),
      doc: {
        operationId: 'undoRollout',
        summary: "Roll the app back to an earlier promoted revision (its rollout's plan, through the same strategy)",
        request: { body: { required: false, content: { 'application/json': { schema: undoBodySchema } } } },
        responses: {
          '201': {
            ...json('The rollout back to the earlier revision, created and queued.', rolloutViewSchema),
            headers: z.object({ Location: z.string().openapi({ description: 'The rollout resource' }) }),
          },
          ...errors(...COMMON_ERRORS, 409, 413, 415, 422, 502),
        },
      },
    },
    {
      method: 'post',
      path: `${BASE}/:name/release`,
      verb: 'write',
      // The Deployment gets its pods back (and the stable revision's template): a workload, as a create makes.
      workload: true,
      params: appParamsSchema,
      body: true,
      handler: release(api),
      doc: {
        operationId: 'releaseRollout',
        summary: "Hand an adopted app back to its Deployment (scaled back up, then Ramp's ReplicaSets to 0)",
        description:
          'Refused with 409 ACTIVE_ROLLOUT_EXISTS while a rollout of the app is active, and 409 NOTHING_ADOPTED when no Deployment in the namespace was adopted by a rollout of it. The release is carried out by workers like a rollout: follow it as one.',
        request: { body: { required: false, content: { 'application/json': { schema: releaseBodySchema } } } },
        responses: {
          '201': {
            ...json('The release, created and queued.', rolloutViewSchema),
            headers: z.object({ Location: z.string().openapi({ description: 'The rollout resource' }) }),
          },
          ...errors(...COMMON_ERRORS, 409, 413, 415, 502),
        },
      },
    },
    {
      method: 'post',
      path: BASE,
      verb: 'write',
      workload: true,
      params: nsParamsSchema,
      body: true,
      handler: create(api),
      doc: {
        operationId: 'createRollout',
        summary: 'Start a rollout from a plan (or, with dryRun=true, only check it)',
        description:
          'Validates the plan against the schema and the cluster (namespace, HTTPRoute, Prometheus queries) before anything is written. With dryRun=true nothing is written and the rollout that would start is returned.',
        request: { query: createQuerySchema, body: planBody },
        responses: {
          '201': {
            ...json('The rollout, created and queued.', rolloutViewSchema),
            headers: z.object({ Location: z.string().openapi({ description: 'The rollout resource' }) }),
          },
          '200': json('Dry run: the plan is valid and fits the cluster; nothing was written.', dryRunResultSchema),
          ...errors(...COMMON_ERRORS, 409, 413, 415, 422, 502),
        },
      },
    },
    {
      method: 'get',
      path: BASE,
      verb: 'read',
      params: nsParamsSchema,
      handler: list(api),
      doc: {
        operationId: 'listRollouts',
        summary: "A namespace's rollouts (or one app's), newest first",
        request: { query: listQuerySchema },
        responses: { '200': json('The rollouts.', rolloutListSchema), ...errors(...COMMON_ERRORS) },
      },
    },
    {
      method: 'get',
      path: `${BASE}/:name`,
      verb: 'read',
      params: appParamsSchema,
      handler: show(api),
      doc: {
        operationId: 'getRollout',
        summary: "An app's latest rollout (or ?rollout=<id>) with its event history",
        request: { query: rolloutQuerySchema },
        responses: {
          '200': json('The rollout and every event it has recorded.', rolloutWithHistorySchema),
          ...errors(...COMMON_ERRORS, 404),
        },
      },
    },
  ];
}
