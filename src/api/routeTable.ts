/**
 * One table drives the API: each entry is mounted by app.ts (with its verb checked and its body read)
 * and documented by openapi.ts, so a route cannot be served without being documented.
 */
import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import type { RequestHandler } from 'express';
import type { ZodObject } from 'zod';
import type { EngineDeps } from '../engine/deps';
import type { EngineMetrics } from '../observability/metrics';
import type { FeedOptions } from './eventFeed';
import type { Verb } from './schemas';
import type { SseRegistry } from './sse';
import type { YamlParser } from './yamlParser';

export interface ApiRoute {
  method: 'get' | 'post';
  /** The express path, absolute: `/api/v1/namespaces/:ns/rollouts`. */
  path: string;
  /** The verb the caller needs in the URL's namespace; undefined for routes outside namespaces. */
  verb?: Verb;
  /** Path parameters, validated (400) before the verb is checked. */
  params?: ZodObject;
  /** Whether the route makes Ramp create workloads in the namespace (the authenticator's workload hook is asked). */
  workload?: boolean;
  /** Whether a body is read (up to the limit) before the handler. */
  body?: boolean;
  /** The OpenAPI operation, less what the entry already says. */
  doc: Omit<RouteConfig, 'method' | 'path' | 'request'> & {
    request?: Omit<NonNullable<RouteConfig['request']>, 'params'>;
  };
  handler: RequestHandler;
}

/** What route handlers work with. */
export interface ApiContext {
  deps: EngineDeps;
  metrics: EngineMetrics;
  streams: SseRegistry;
  keepAliveMs: number;
  feed: FeedOptions;
  /** Where YAML bodies are parsed (off the event loop). */
  yaml: YamlParser;
  /** Resolves when the server can serve (Redis answers); rejects with why not. */
  ready: () => Promise<void>;
  /** The OpenAPI document, built once on first request. */
  openapi: () => object;
}

/** `/a/:b/c` → `/a/{b}/c`. */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z_]\w*)/g, '{$1}');
}
