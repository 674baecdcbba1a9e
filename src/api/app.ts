/**
 * The rollout API as an express app: request ids and metrics on every request, bearer-token auth on
 * all but the open paths, the routes of the route table (each with its verb checked in the URL's
 * namespace, and refused with 503 while Redis is unreachable), then 404 and the one error middleware.
 * No cluster writes here: the engine's createRollout/operate write records and wake workers.
 */
import { InvalidOptionError } from '../errors';
import express from 'express';
import type { Logger } from 'pino';
import type { EngineDeps } from '../engine/deps';
import type { EngineMetrics } from '../observability/metrics';
import type { Authenticator } from './auth/authenticator';
import { authenticate, authorize, DEFAULT_OPEN_PATHS } from './auth/middleware';
import { DEFAULT_BODY_LIMIT, readRawBody } from './body';
import { errorHandler, notFound } from './errors';
import type { FeedOptions } from './eventFeed';
import { measureRequests, requestDurationHistogram } from './httpMetrics';
import { buildOpenApiDocument } from './openapi';
import { validatePath } from './params';
import { redisReadiness } from './readiness';
import { requireRedis } from './redisGate';
import { requestContext } from './requestContext';
import type { ApiContext, ApiRoute } from './routeTable';
import { eventRoutes } from './routes/events';
import { operationRoutes } from './routes/operations';
import { rolloutRoutes } from './routes/rollouts';
import { systemRoutes } from './routes/system';
import { DEFAULT_KEEP_ALIVE_MS, SseRegistry } from './sse';

export interface ApiOptions {
  deps: EngineDeps;
  authenticator: Authenticator;
  logger: Logger;
  /** The process's metrics registry: /metrics serves it, with the API's request durations added. */
  metrics: EngineMetrics;
  /** Paths served without a token. Default /healthz, /readyz, /metrics, /openapi.json. */
  openPaths?: readonly string[];
  /** Largest request body in bytes. Default 1 MiB. */
  bodyLimit?: number;
  /** Open event streams, so a server can end them on shutdown. Default: the app's own. */
  streams?: SseRegistry;
  /** SSE keep-alive comment interval (ms). Default 15 s. */
  keepAliveMs?: number;
  /** How event streams notice a rollout's end. */
  feed?: FeedOptions;
  /** Readiness check. Default: Redis answers within 2 s. */
  ready?: () => Promise<void>;
}

/** The routes an app serves, in mounting order. */
export function apiRoutes(api: ApiContext): ApiRoute[] {
  return [...systemRoutes(api), ...rolloutRoutes(api), ...operationRoutes(api), ...eventRoutes(api)];
}

function positive(option: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new InvalidOptionError(option, `expected a positive integer, got ${value}`);
  return value;
}

/** Builds the API app. */
export function createApp(opts: ApiOptions): express.Express {
  const bodyLimit = positive('bodyLimit', opts.bodyLimit ?? DEFAULT_BODY_LIMIT);
  const openPaths = opts.openPaths ?? DEFAULT_OPEN_PATHS;
  let document: object | undefined;
  const api: ApiContext = {
    deps: opts.deps,
    metrics: opts.metrics,
    streams: opts.streams ?? new SseRegistry(),
    keepAliveMs: positive('keepAliveMs', opts.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS),
    feed: opts.feed ?? {},
    ready: opts.ready ?? redisReadiness(opts.deps),
    openapi: () => (document ??= buildOpenApiDocument({ routes, openPaths })),
  };
  const routes = apiRoutes(api);

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestContext(opts.logger));
  app.use(measureRequests(requestDurationHistogram(opts.metrics.registry)));
  app.use(authenticate(opts.authenticator, openPaths));
  for (const r of routes) {
    const chain: express.RequestHandler[] = [];
    if (r.params) chain.push(validatePath(r.params));
    if (r.verb) chain.push(authorize(opts.authenticator, r.verb), requireRedis(opts.deps));
    if (r.body) chain.push(readRawBody(bodyLimit));
    app[r.method](r.path, ...chain, r.handler);
  }
  app.use(notFound);
  app.use(errorHandler());
  return app;
}
