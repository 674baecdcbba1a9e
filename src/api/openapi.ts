/**
 * The OpenAPI 3.1 document, generated from the route table and the zod schemas of src/api/schemas.ts
 * and src/plan/schema.ts — the plan schema is the create body.
 *
 * One construct of the plan schema has no OpenAPI form by itself: a canary step is a `z.custom`
 * guard piped into a union (so a non-object gets one clear message). It is described here as an
 * object that is one of the four step schemas, which are the union's own members.
 */
import { OpenAPIRegistry, OpenApiGeneratorV31, zodToOpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { z, ZodType } from 'zod';
import { planSchema, stepSchema } from '../plan/schema';
import { errors } from './responses';
import { openApiPath, type ApiRoute } from './routeTable';
import { errorBodySchema, eventViewSchema, rolloutViewSchema } from './schemas';

const STEP_NAMES = ['SetWeightStep', 'PauseStep', 'AnalyzeStep', 'SetCanaryScaleStep'];

/**
 * Names a schema as a component. The plan's schemas were made before zod was extended with
 * `.openapi()` (and would be copied by it anyway), so the name goes into the generator's registry
 * for the instance itself; the generator then emits a component and a $ref wherever it is used.
 */
function nameSchema(schema: ZodType | z.core.$ZodType, refId: string, more: Record<string, unknown> = {}): void {
  const current = zodToOpenAPIRegistry.get(schema) ?? {};
  zodToOpenAPIRegistry.add(schema, { ...current, ...more, _internal: { ...current._internal, refId } });
}

/** Gives the canary step (custom guard → union) a schema: an object that is one of the union's members (returned, to be generated as components). */
function describeSteps(): ZodType[] {
  const union = stepSchema._zod.def.out as unknown as { _zod: { def: { options: ZodType[] } } };
  const names = union._zod.def.options.map((o, i) => {
    const name = STEP_NAMES[i] ?? `Step${i}`;
    nameSchema(o, name);
    return name;
  });
  // The metadata goes on the guard (the pipe's input), which is where the generator looks for a pipe's type.
  nameSchema(stepSchema._zod.def.in, 'CanaryStep', {
    type: 'object',
    description: 'One canary step: exactly one of setWeight, pause, analyze, setCanaryScale.',
    oneOf: names.map((n) => ({ $ref: `#/components/schemas/${n}` })),
  });
  return union._zod.def.options;
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
  const steps = describeSteps();
  nameSchema(planSchema, 'RolloutPlan');
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
  const definitions = [...registry.definitions, ...steps.map((schema) => ({ type: 'schema' as const, schema }))];
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
