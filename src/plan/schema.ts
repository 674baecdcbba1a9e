/**
 * The rollout plan (DESIGN §4), as zod schemas: the single source of the plan's types, shared by the
 * API, the CLI's `lint` and the worker. Every refusal names its field path and what was expected.
 * Durations stay strings here; compile.ts turns them into milliseconds once.
 */
import { z } from 'zod';
import { durationSchema, parseDuration } from './duration';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** A Kubernetes DNS-1123 label (names of apps, services, containers). */
export function dnsLabel(what: string, maxLength = 63) {
  const msg = `expected ${what}: lower-case letters, digits and '-', starting and ending with a letter or digit, at most ${maxLength} characters`;
  return z.string({ error: msg }).max(maxLength, { error: msg }).regex(DNS_LABEL, { error: msg });
}

function intRange(min: number, max: number) {
  const msg = `expected an integer ${min}–${max}`;
  return z.int({ error: msg }).min(min, { error: msg }).max(max, { error: msg });
}

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

export const routerSchema = z
  .strictObject({
    replicaRatio: z.strictObject({}).optional(),
    gatewayApi: z
      .strictObject({
        httpRoute: dnsLabel('an HTTPRoute name', 253),
      })
      .optional(),
  })
  .refine((r) => Object.keys(r).length === 1, { error: 'expected exactly one router: replicaRatio or gatewayApi' });

const setWeightStep = z.strictObject({ setWeight: intRange(0, 100) });
const pauseStep = z.strictObject({ pause: z.strictObject({ duration: durationSchema({ min: 0 }).optional() }) });
const analyzeStep = z.strictObject({
  analyze: z
    .strictObject({ min: durationSchema().optional(), max: durationSchema().optional() })
    .refine((a) => !a.min || !a.max || (parseDuration(a.min) ?? 0) <= (parseDuration(a.max) ?? 0), {
      error: 'expected min to be at most max',
    }),
});
const setCanaryScaleStep = z.strictObject({
  setCanaryScale: z
    .strictObject({
      replicas: intRange(0, 10_000).optional(),
      weight: intRange(0, 100).optional(),
      matchTrafficWeight: z.literal(true).optional(),
    })
    .refine((s) => Object.keys(s).length === 1, {
      error: 'expected exactly one of replicas, weight or matchTrafficWeight',
    }),
});

export const STEP_KINDS = ['setWeight', 'pause', 'analyze', 'setCanaryScale'] as const;

/** One canary step; exactly one key. */
export const stepSchema = z
  .custom<Record<string, unknown>>((v) => v !== null && typeof v === 'object' && !Array.isArray(v), {
    error: `expected a step: one of ${STEP_KINDS.join(', ')}`,
  })
  .pipe(
    z.union([setWeightStep, pauseStep, analyzeStep, setCanaryScaleStep], {
      error: (iss) => {
        const keys = iss.input && typeof iss.input === 'object' ? Object.keys(iss.input) : [];
        if (keys.length !== 1 || !STEP_KINDS.includes(keys[0] as never))
          return `expected exactly one of ${STEP_KINDS.join(', ')}`;
        return undefined;
      },
    }),
  );

export const canarySchema = z.strictObject({
  router: routerSchema.default({ replicaRatio: {} }),
  steps: z.array(stepSchema, { error: 'expected a list of steps' }).min(1, { error: 'expected at least one step' }),
  /** How long the old ReplicaSet keeps its pods after promotion, so undo is instant. */
  scaleDownDelay: durationSchema({ min: 0 }).default('30s'),
});

export const strategySchema = z
  .strictObject({
    canary: canarySchema.optional(),
    // blueGreen, rolling and gray come in later milestones; the schema refuses them clearly until then.
  })
  .refine((s) => s.canary !== undefined, {
    error: 'expected a strategy: canary (blueGreen, rolling and gray are not available yet)',
  });

const judgeName = z.enum(['threshold', 'sequential'], { error: 'expected a judge: threshold or sequential' });

const errorRateMetric = z.strictObject({
  /** Canary's error rate may be at most maxRatio × stable's. */
  maxRatio: z.number({ error: 'expected a number ≥ 1' }).min(1, { error: 'expected a number ≥ 1' }),
  /** sequential: canary requests before any pass (default 500); threshold: canary requests per window before a check counts (default 100). */
  minRequests: intRange(1, 1_000_000).optional(),
  judge: judgeName.optional(),
});

const latencyMetric = z.strictObject({
  quantile: z
    .number({ error: 'expected a quantile between 0 and 1, like 0.99' })
    .gt(0, { error: 'expected a quantile between 0 and 1, like 0.99' })
    .lt(1, { error: 'expected a quantile between 0 and 1, like 0.99' }),
  maxRatio: z.number({ error: 'expected a number ≥ 1' }).min(1, { error: 'expected a number ≥ 1' }),
  minRequests: intRange(1, 1_000_000).optional(),
  judge: judgeName.optional(),
});

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

export const prometheusProviderSchema = z.strictObject({
  address: z.url({ error: 'expected the Prometheus URL, like http://prometheus:9090' }),
  timeout: durationSchema({ min: 100, max: 60_000 }).default('5s'),
  bearerTokenFile: z.string().optional(),
  basicAuth: z.strictObject({ username: z.string(), passwordFile: z.string() }).optional(),
  insecureSkipVerify: z.boolean().default(false),
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
    /** Where Prometheus is; default: the worker's configured Prometheus. */
    prometheus: prometheusProviderSchema.optional(),
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
    const steps = s.strategy.canary?.steps ?? [];
    let traffic = false;
    steps.forEach((st, i) => {
      if ('setWeight' in st && st.setWeight > 0) traffic = true;
      if (!('analyze' in st)) return;
      const path = ['spec', 'strategy', 'canary', 'steps', i, 'analyze'];
      if (s.analysis.metrics.length === 0)
        ctx.addIssue({ code: 'custom', path, message: 'an analyze step needs spec.analysis.metrics' });
      else if (!traffic)
        ctx.addIssue({
          code: 'custom',
          path,
          message: 'an analyze step needs traffic to the canary first: put a setWeight step (above 0) before it',
        });
    });
    if (s.analysis.metrics.length > 0 && !traffic && s.strategy.canary) {
      ctx.addIssue({
        code: 'custom',
        path: ['spec', 'strategy', 'canary', 'steps'],
        message: 'the metrics can only judge a canary that gets traffic: add a setWeight step above 0',
      });
    }
  });

/** What users write (optional fields, durations as strings). */
export type PlanInput = z.input<typeof planSchema>;
/** A validated plan with defaults filled in. */
export type Plan = z.output<typeof planSchema>;
export type Step = z.output<typeof stepSchema>;
export type MetricSpec = z.output<typeof metricSchema>;
export type AnalysisSpec = z.output<typeof analysisSchema>;
export type RouterSpec = z.output<typeof routerSchema>;
export type PrometheusProviderSpec = z.output<typeof prometheusProviderSchema>;
