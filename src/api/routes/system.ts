/** Process endpoints outside the rollout API: liveness, readiness, Prometheus metrics, the OpenAPI document. */
import type { Request, Response } from 'express';
import { z } from 'zod';
import { errors, json } from '../responses';
import type { ApiContext, ApiRoute } from '../routeTable';

const healthSchema = z.object({ status: z.literal('ok') }).openapi('Health');
const readySchema = z.object({ status: z.literal('ready') }).openapi('Ready');

/** The system routes. */
export function systemRoutes(api: ApiContext): ApiRoute[] {
  return [
    {
      method: 'get',
      path: '/healthz',
      handler: (_req: Request, res: Response) => void res.json({ status: 'ok' }),
      doc: { operationId: 'healthz', summary: 'The process is up', responses: { '200': json('Up.', healthSchema) } },
    },
    {
      method: 'get',
      path: '/readyz',
      handler: async (_req: Request, res: Response) => {
        await api.ready();
        res.json({ status: 'ready' });
      },
      doc: {
        operationId: 'readyz',
        summary: 'Redis answers: the server can serve',
        responses: { '200': json('Ready.', readySchema), ...errors(503) },
      },
    },
    {
      method: 'get',
      path: '/metrics',
      handler: async (_req: Request, res: Response) => {
        const text = await api.metrics.registry.metrics();
        res.type(api.metrics.registry.contentType).send(text);
      },
      doc: {
        operationId: 'metrics',
        summary: "Ramp's metrics and the API's request durations (Prometheus text format)",
        responses: {
          '200': { description: 'Prometheus exposition format.', content: { 'text/plain': { schema: z.string() } } },
        },
      },
    },
    {
      method: 'get',
      path: '/openapi.json',
      handler: (_req: Request, res: Response) => void res.json(api.openapi()),
      doc: {
        operationId: 'openapi',
        summary: 'This document',
        responses: {
          '200': {
            description: 'OpenAPI 3.1.',
            content: { 'application/json': { schema: z.looseObject({ openapi: z.string() }) } },
          },
        },
      },
    },
  ];
}
