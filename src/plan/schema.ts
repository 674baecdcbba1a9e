/**
 * The rollout plan (DESIGN §4), as zod schemas: the single source of the plan's types, shared by the
 * API, the CLI's `lint` and the worker. Every refusal names its field path and what was expected.
 * Durations stay strings here; compile.ts turns them into milliseconds once.
 */
import { z } from 'zod';
import { strategies } from '../strategies/registry';
import { oneOfRegistry, onlyEntry } from '../util/registry';
import { routerCapabilities } from '../kube/routers/registry';
import { durationSchema, parseDuration } from './duration';
import { dnsLabel, dnsSubdomain, intRange, LABEL_KEY, LABEL_VALUE } from './fields';

export { dnsLabel, intRange } from './fields';

export const labelsSchema = z.record(
  z.string().regex(LABEL_KEY, { error: 'expected a label key like app or example.com/tier' }),
  z
    .string({ error: 'expected a label value (a string)' })
    .max(63, { error: 'expected a label value of at most 63 characters' })
    .regex(LABEL_VALUE, {
      error: "expected a label value: letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
    }),
);

export const selectorSchema = z.strictObject({
  matchLabels: labelsSchema.refine((l) => Object.keys(l).length > 0, { error: 'expected at least one label' }),
});

const containerSchema = z.looseObject({
  name: dnsLabel('a container name'),
  image: z.string({ error: 'expected an image reference' }).min(1, { error: 'expected an image reference' }),
});

/** A PodTemplateSpec: the essentials here; the rest is checked against the Kubernetes schema (parse.ts). */
export const podTemplateSchema = z.looseObject({
  metadata: z
    .looseObject({ labels: labelsSchema.optional(), annotations: z.record(z.string(), z.string()).optional() })
    .optional(),
  spec: z.looseObject({
    containers: z
      .array(containerSchema, { error: 'expected a list of containers' })
      .min(1, { error: 'expected at least one container' }),
  }),
});

/** `image: ref` (the only container) or `image: container=ref`. */
export const imageSchema = z
  .string({ error: 'expected an image reference, or container=reference' })
  .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?=)?[^\s=]+$/, {
    error: 'expected an image reference, or container=reference',
  });

export const serviceSchema = z.strictObject({
  name: dnsLabel('a Service name'),
  port: intRange(1, 65535),
  /** The pods' port: a number or a container port name. Default: the first container port. */
  targetPort: z.union([intRange(1, 65535), dnsLabel('a port name', 15)]).optional(),
});

/**
 * `spec.adopt`: the plain Deployment the app runs as today. With no stable revision yet, Ramp takes its pod
 * template as the stable revision at its size and scales it to 0 once Ramp's pods serve (DESIGN §4,
 * Adoption); once adopted the block changes nothing and may stay in the plan.
 */
export const adoptSchema = z.strictObject({
  deployment: dnsSubdomain('a Deployment name'),
});

/** `spec.strategy`: exactly one registered strategy, its block validated by that strategy's own schema. */
export const strategySchema = oneOfRegistry(strategies, (s) => s.specSchema);

const judgeName = z.enum(['threshold', 'sequential'], { error: 'expected a judge: threshold or sequential' });

/** A rate as a fraction (`0.001`) or a percentage (`0.1%`), between 0 and 1. */
export const rateSchema = z.union([z.number().min(0).max(1), z.string().regex(/^(100|\d{1,2})(\.\d+)?%$/)], {
  error: 'expected a rate: a fraction like 0.001 or a percentage like 0.1%',
});

/** A rate written either way, as a fraction. */
export function rateValue(r: number | string): number {
  return typeof r === 'number' ? r : Number(r.slice(0, -1)) / 100;
}

const ratio = () => z.number({ error: 'expected a number ≥ 1' }).min(1, { error: 'expected a number ≥ 1' });

/**
 * What the sequential judge tolerates and what it must catch fast. A canary whose true ratio is at most
 * maxRatio is rolled back with probability at most alpha; one at detectRatio or beyond is caught quickly.
 */
const toleranceFields = {
  /** The tolerance: at most this × stable's rate (errors) or quantile (latency). */
  maxRatio: ratio(),
  /** The regression to catch fast (sequential judge); default maxRatio × 4/3, and more than maxRatio. */
  detectRatio: ratio().optional(),
  /** sequential: canary requests before any pass (default 500); threshold: canary requests per window before a check counts (default 100). */
  minRequests: intRange(1, 1_000_000).optional(),
  /** sequential: undecided after this long, the verdict turns inconclusive and the rollout follows onInconclusive (default 1h). */
  decideWithin: durationSchema({ min: 60_000 }).optional(),
  judge: judgeName.optional(),
};

function detectAboveMax(m: { maxRatio: number; detectRatio?: number }, ctx: z.RefinementCtx): void {
  if (m.detectRatio !== undefined && m.detectRatio <= m.maxRatio)
    ctx.addIssue({ code: 'custom', path: ['detectRatio'], message: 'expected detectRatio above maxRatio' });
}

const errorRateMetric = z
  .strictObject({
    ...toleranceFields,
    /** Also tolerated: the canary's error rate at most this much above stable's (default 0.1%), for rare errors. */
    maxIncrease: rateSchema.optional(),
    /** An absolute increase to catch fast (default 1%), above maxIncrease. */
    detectIncrease: rateSchema.optional(),
  })
  .superRefine((m, ctx) => {
    detectAboveMax(m, ctx);
    if (
      m.maxIncrease !== undefined &&
      m.detectIncrease !== undefined &&
      rateValue(m.detectIncrease) <= rateValue(m.maxIncrease)
    )
      ctx.addIssue({ code: 'custom', path: ['detectIncrease'], message: 'expected detectIncrease above maxIncrease' });
  });

const latencyMetric = z
  .strictObject({
    quantile: z
      .number({ error: 'expected a quantile between 0 and 1, like 0.99' })
      .gt(0, { error: 'expected a quantile between 0 and 1, like 0.99' })
      .lt(1, { error: 'expected a quantile between 0 and 1, like 0.99' }),
    ...toleranceFields,
  })
  .superRefine(detectAboveMax);

const thresholdSchema = z
  .strictObject({
    min: z.number({ error: 'expected a number' }).optional(),
    max: z.number({ error: 'expected a number' }).optional(),
    /** Failed measurements tolerated before the metric fails (like Argo Rollouts' failureLimit). */
    failureLimit: intRange(0, 1000).default(0),
    /** Fail after this many failed measurements in a row, whatever failureLimit says. */
    consecutive: intRange(1, 1000).optional(),
  })
  .refine((t) => t.min !== undefined || t.max !== undefined, { error: 'expected min or max' });

export const metricSchema = z
  .strictObject({
    name: dnsLabel('a metric name'),
    errorRate: errorRateMetric.optional(),
    latency: latencyMetric.optional(),
    /** Any PromQL; `{{app}}`, `{{namespace}}`, `{{canary.revision}}`, `{{stable.revision}}`, `{{canary.selector}}`, `{{stable.selector}}`, `{{interval}}` are filled in, escaped. */
    query: z.string({ error: 'expected a PromQL query' }).min(1, { error: 'expected a PromQL query' }).optional(),
    threshold: thresholdSchema.optional(),
  })
  .superRefine((m, ctx) => {
    const kinds = (['errorRate', 'latency', 'query'] as const).filter((k) => m[k] !== undefined);
    if (kinds.length !== 1)
      ctx.addIssue({ code: 'custom', message: 'expected exactly one of errorRate, latency or query' });
    if (m.query !== undefined && m.threshold === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['threshold'],
        message: 'expected a threshold (min and/or max) for a query metric',
      });
    if (m.query === undefined && m.threshold !== undefined)
      ctx.addIssue({ code: 'custom', path: ['threshold'], message: 'threshold applies to query metrics only' });
  });

export const analysisSchema = z
  .strictObject({
    interval: durationSchema({ min: 1000, max: 600_000 }).default('5s'),
    /** The false-rollback rate the sequential judge guarantees (shared by its metrics). */
    alpha: z
      .number({ error: 'expected a probability between 0 and 0.5' })
      .gt(0, { error: 'expected a probability between 0 and 0.5' })
      .max(0.5, { error: 'expected a probability between 0 and 0.5' })
      .default(0.01),
    /** What to do when the metrics stay inconclusive (no data, Prometheus down) longer than `inconclusiveAfter`. */
    onInconclusive: z.enum(['pause', 'rollback'], { error: 'expected pause or rollback' }).default('pause'),
    inconclusiveAfter: durationSchema({ min: 1000 }).default('2m'),
    /** Select a revision by this Prometheus label instead of the pod name. */
    revisionLabel: z
      .string()
      .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, { error: 'expected a Prometheus label name' })
      .optional(),
    /** The metric provider, by the name the operator gave it; default: the operator's default provider. */
    provider: dnsLabel('a metric provider name').optional(),
    /** Plans no longer say where Prometheus is or which files hold its credentials: the operator does. */
    prometheus: z
      .unknown()
      .optional()
      .superRefine((v, ctx) => {
        if (v !== undefined)
          ctx.addIssue({
            code: 'custom',
            message:
              'a plan cannot name a Prometheus address or credential files: the operator configures metric providers (ramp server/worker --prometheus-url or --providers-file); choose one with spec.analysis.provider',
          });
      }),
    metrics: z.array(metricSchema).default([]),
  })
  .superRefine((a, ctx) => {
    const seen = new Set<string>();
    a.metrics.forEach((m, i) => {
      if (seen.has(m.name))
        ctx.addIssue({
          code: 'custom',
          path: ['metrics', i, 'name'],
          message: `expected a unique name; "${m.name}" is used twice`,
        });
      seen.add(m.name);
    });
  });

export const planSchema = z
  .strictObject({
    apiVersion: z.literal('ramp.dev/v1alpha1', { error: 'expected ramp.dev/v1alpha1' }),
    kind: z.literal('Rollout', { error: 'expected Rollout' }),
    metadata: z.strictObject({
      name: dnsLabel('the app name'),
      namespace: dnsLabel('a namespace').default('default'),
      labels: labelsSchema.optional(),
      annotations: z.record(z.string(), z.string()).optional(),
    }),
    spec: z.strictObject({
      replicas: intRange(1, 10_000),
      selector: selectorSchema,
      template: podTemplateSchema.optional(),
      image: imageSchema.optional(),
      service: serviceSchema,
      strategy: strategySchema,
      analysis: analysisSchema.prefault({}),
      progressDeadline: durationSchema({ min: 1000 }).default('10m'),
      /** When a new pod certainly cannot run (its image cannot be pulled, it keeps crashing): roll back at once, or pause. */
      onPodFailure: z.enum(['rollback', 'pause'], { error: 'expected rollback or pause' }).default('rollback'),
      /**
       * Old ReplicaSets (at 0 replicas, no pods) kept after a rollout ends, newest first; older ones are
       * deleted. As a Deployment's: 10 by default. Undo does not need them: it starts the recorded plan again.
       */
      revisionHistoryLimit: intRange(0, 1000).default(10),
      adopt: adoptSchema.optional(),
    }),
  })
  .superRefine((p, ctx) => {
    const s = p.spec;
    if ((s.template === undefined) === (s.image === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['spec', 'template'],
        message: 'expected exactly one of template (the new version) or image (a new image for the stable template)',
      });
    }
    const labels = s.template?.metadata?.labels ?? {};
    if (s.template) {
      for (const [k, v] of Object.entries(s.selector.matchLabels)) {
        if (labels[k] !== v)
          ctx.addIssue({
            code: 'custom',
            path: ['spec', 'template', 'metadata', 'labels'],
            message: `expected the selector's label ${k}: ${v}`,
          });
      }
    }
    checkStrategy(s, ctx);
  });

/** What users write (optional fields, durations as strings). */
export type PlanInput = z.input<typeof planSchema>;
/** A validated plan with defaults filled in. */
export type Plan = z.output<typeof planSchema>;
export type MetricSpec = z.output<typeof metricSchema>;
export type AnalysisSpec = z.output<typeof analysisSchema>;
export type PodTemplate = z.output<typeof podTemplateSchema>;

/** The chosen strategy's checks that need the rest of the plan (analyze steps need metrics, weights the router can express). */
function checkStrategy(
  s: { replicas: number; strategy: Record<string, unknown>; analysis: { metrics: MetricSpec[]; interval: string } },
  ctx: z.core.$RefinementCtx,
): void {
  const { key, value } = onlyEntry(s.strategy);
  const strategy = strategies.get(key);
  const metrics = s.analysis.metrics;
  const requestMetricCount = metrics.filter((m) => m.errorRate !== undefined || m.latency !== undefined).length;
  const facts = {
    replicas: s.replicas,
    metricCount: metrics.length,
    requestMetricCount,
    analysisIntervalMs: parseDuration(s.analysis.interval) ?? 0,
  };
  const problems = strategy.check(value, facts, routerCapabilities(strategy.router(value)));
  for (const p of problems) {
    const rest = p.path === '' ? [] : pathSegments(p.path);
    ctx.addIssue({ code: 'custom', path: ['spec', 'strategy', key, ...rest], message: p.message });
  }
}

/** `steps[2].setWeight` → ['steps', 2, 'setWeight'] (the inverse of formatPath). */
export function pathSegments(path: string): (string | number)[] {
  return [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : m[1]));
}
