/**
 * The rollout API as an express app: request ids and metrics on every request, bearer-token auth on
 * all but the open paths, the routes of the route table (each with its verb checked in the URL's
 * namespace, and refused with 503 while Redis is unreachable), then 404 and the one error middleware.
 * No cluster writes here: the engine's createRollout/operate write records and wake workers.
 */
import { registerRolloutMetrics } from './rolloutMetrics';
import { InvalidOptionError, MethodNotAllowedError } from '../errors';
import express from 'express';
import type { Logger } from 'pino';
import type { EngineDeps } from '../engine/deps';
import type { EngineMetrics } from '../observability/metrics';
import type { Authenticator } from './auth/authenticator';
import { authenticate, authorize, authorizeWorkload, DEFAULT_OPEN_PATHS } from './auth/middleware';
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
import { DEFAULT_KEEP_ALIVE_MS, SseRegistry, type StreamLimits } from './sse';
import { YamlParser } from './yamlParser';

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
  /** Open event streams, so a server can end them on shutdown. Default: the app's own, with `streamLimits`. */
  streams?: SseRegistry;
  /** How many event streams a token (and the server) may hold at once. */
  streamLimits?: StreamLimits;
  /** SSE keep-alive comment interval (ms). Default 15 s. */
  keepAliveMs?: number;
  /** Where YAML bodies are parsed. Default: a parser of the app's own (its worker thread does not keep the process alive). */
  yaml?: YamlParser;
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

/**
 * Answers 405 (with Allow) for a method a known path does not serve — TRACE, PUT, OPTIONS… — before
 * any token is asked for; requests with a served method go on to the routes.
 */
function methodGate(routes: readonly ApiRoute[]): express.Router {
  const byPath = new Map<string, Set<ApiRoute['method']>>();
  for (const r of routes) byPath.set(r.path, (byPath.get(r.path) ?? new Set<ApiRoute['method']>()).add(r.method));
  const gate = express.Router();
  for (const [path, methods] of byPath) {
    const allowed = [...methods].flatMap((m) => (m === 'get' ? ['GET', 'HEAD'] : [m.toUpperCase()])).sort();
    const pass: express.RequestHandler = (_req, _res, next) => next('router');
    for (const m of methods) gate[m](path, pass);
    gate.all(path, (req, _res, next) => next(new MethodNotAllowedError(req.method, req.path, allowed)));
  }
  return gate;
}

/** Builds the API app. */
export function createApp(opts: ApiOptions): express.Express {
  const bodyLimit = positive('bodyLimit', opts.bodyLimit ?? DEFAULT_BODY_LIMIT);
  const openPaths = opts.openPaths ?? DEFAULT_OPEN_PATHS;
  let document: object | undefined;
  const api: ApiContext = {
    deps: opts.deps,
    metrics: opts.metrics,
    streams: opts.streams ?? new SseRegistry(opts.streamLimits),
    keepAliveMs: positive('keepAliveMs', opts.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS),
    feed: opts.feed ?? {},
    yaml: opts.yaml ?? new YamlParser(),
    ready: opts.ready ?? redisReadiness(opts.deps),
    openapi: () => (document ??= buildOpenApiDocument({ routes, openPaths })),
  };
  const routes = apiRoutes(api);

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestContext(opts.logger));
  app.use(measureRequests(requestDurationHistogram(opts.metrics.registry)));
  registerRolloutMetrics(opts.metrics.registry, opts.deps.store);
  app.use(methodGate(routes));
  app.use(authenticate(opts.authenticator, openPaths));
  for (const r of routes) {
    const chain: express.RequestHandler[] = [];
    if (r.params) chain.push(validatePath(r.params));
    if (r.verb) chain.push(authorize(opts.authenticator, r.verb), requireRedis(opts.deps));
    if (r.workload) chain.push(authorizeWorkload(opts.authenticator));
    if (r.body) chain.push(readRawBody(bodyLimit));
    app[r.method](r.path, ...chain, r.handler);
  }
  app.use(notFound);
  app.use(errorHandler());
  return app;
}
