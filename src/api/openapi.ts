/**
 * The OpenAPI 3.1 document, generated from the route table and the zod schemas of src/api/schemas.ts
 * and src/plan/schema.ts — the plan schema is the create body.
 *
 * The plan's strategy and router blocks are parsed through their registries (any registered strategy or
 * router is accepted), which has no OpenAPI form by itself: describeBlock gives each the form it has.
 */
import { OpenAPIRegistry, OpenApiGeneratorV31, zodToOpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { z, ZodType } from 'zod';
import { routerSpecSchema, routers } from '../kube/routers/registry';
import { planSchema, strategySchema } from '../plan/schema';
import { strategies } from '../strategies/registry';
import { errors } from './responses';
import { openApiPath, type ApiRoute } from './routeTable';
import {
  errorBodySchema,
  eventViewSchema,
  podsViewSchema,
  rolloutViewSchema,
  stepViewSchema,
  trafficViewSchema,
} from './schemas';

/**
 * Names a schema as a component. The plan's schemas were made before zod was extended with
 * `.openapi()` (and would be copied by it anyway), so the name goes into the generator's registry
 * for the instance itself; the generator then emits a component and a $ref wherever it is used.
 */
function nameSchema(schema: ZodType | z.core.$ZodType, refId: string, more: Record<string, unknown> = {}): void {
  const current = zodToOpenAPIRegistry.get(schema) ?? {};
  zodToOpenAPIRegistry.add(schema, { ...current, ...more, _internal: { ...current._internal, refId } });
}

const capitalised = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * A block naming one registered implementation (`strategy: { canary: … }`, `router: { gatewayApi: … }`)
 * is parsed by a transform over the registry, which has no OpenAPI form of its own: it is described as
 * one of `{ <key>: <that implementation's schema> }`, each implementation's schema a component of its own.
 * Answers the schemas to generate as components.
 */
function describeBlock(
  block: ZodType,
  name: string,
  entries: readonly { key: string; schema: ZodType }[],
  suffix: string,
): ZodType[] {
  const pipe = block._zod.def as unknown as { in?: ZodType };
  const options = entries.map(({ key, schema }) => {
    const refId = `${capitalised(key)}${suffix}`;
    nameSchema(schema, refId);
    return {
      type: 'object',
      properties: { [key]: { $ref: `#/components/schemas/${refId}` } },
      required: [key],
      additionalProperties: false,
    };
  });
  nameSchema(pipe.in ?? block, name, {
    type: 'object',
    description: `Exactly one ${name.toLowerCase()}.`,
    oneOf: options,
  });
  return entries.map((e) => e.schema);
}

export interface OpenApiOptions {
  routes: readonly ApiRoute[];
  /** Paths served without a token. */
  openPaths: readonly string[];
  version?: string;
}

/** The document for an app serving `routes`, with `openPaths` marked as needing no token. */
export function buildOpenApiDocument(opts: OpenApiOptions): object {
  const registry = new OpenAPIRegistry();
  const components = [
    ...describeBlock(
      strategySchema,
      'Strategy',
      strategies.values().map((s) => ({ key: s.key, schema: s.specSchema as ZodType })),
      'Strategy',
    ),
    ...describeBlock(
      routerSpecSchema,
      'Router',
      routers.values().map((r) => ({ key: r.key, schema: r.configSchema as ZodType })),
      'Router',
    ),
  ];
  nameSchema(planSchema, 'RolloutPlan');
  nameSchema(stepViewSchema, 'Step');
  nameSchema(trafficViewSchema, 'Traffic');
  nameSchema(podsViewSchema, 'RevisionPods');
  // The SSE stream's frames carry these; the document names them even though no JSON route returns them alone.
  registry.register('Event', eventViewSchema);
  registry.register('Rollout', rolloutViewSchema);
  registry.register('Error', errorBodySchema);
  const bearer = registry.registerComponent('securitySchemes', 'bearerAuth', { type: 'http', scheme: 'bearer' });
  const open = new Set(opts.openPaths);
  for (const r of opts.routes) {
    const isOpen = open.has(r.path);
    const { request, responses, ...rest } = r.doc;
    registry.registerPath({
      ...rest,
      method: r.method,
      path: openApiPath(r.path),
      request: { ...request, ...(r.params ? { params: r.params } : {}) },
      responses: isOpen ? responses : { ...errors(401), ...responses },
      security: isOpen ? [] : [{ [bearer.name]: [] }],
    });
  }
  const definitions = [...registry.definitions, ...components.map((schema) => ({ type: 'schema' as const, schema }))];
  return new OpenApiGeneratorV31(definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Ramp rollout API',
      version: opts.version ?? '0.1.0',
      description: 'Start, follow and operate rollouts. Errors always have the shape of components.schemas.Error.',
    },
    servers: [{ url: '/' }],
    security: [{ [bearer.name]: [] }],
  });
}
