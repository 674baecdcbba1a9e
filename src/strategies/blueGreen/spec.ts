/**
 * `spec.strategy.blueGreen`: the plan block (the preview and how test traffic reaches it, analysis
 * before and after the switch, automatic or manual promotion, the scale-down delay, a router), its
 * checks against the rest of the plan and the router's capabilities, and its compiled form: the steps a
 * blue-green rollout goes through, in order.
 */
import { z } from 'zod';
import { MAX_MEASUREMENTS } from '../../analysis/types';
import type { FieldProblem } from '../../errors';
import { routerRefOf, routerSpecSchema, type RouterRef } from '../../kube/routers/registry';
import type { RouterCapabilities } from '../../kube/routers/trafficRouter';
import { durationSchema, formatDuration, parseDuration } from '../../plan/duration';
import { intRange } from '../../plan/fields';
import type { PlanFacts } from '../strategy';
import { describeMatch, headerIs, type TrafficMatch } from '../traffic';

function ms(d: string): number {
  const v = parseDuration(d);
  if (v === undefined) throw new Error(`not a duration: ${d} (the schema should have refused it)`);
  return v;
}

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

const headerSchema = z.strictObject({
  name: z
    .string({ error: 'expected an HTTP header name like x-preview' })
    .regex(HEADER_NAME, { error: 'expected an HTTP header name like x-preview' }),
  value: z.string({ error: 'expected the header value' }).min(1, { error: 'expected the header value' }),
});

/** How test traffic reaches the preview: a header match on the app's HTTPRoute, or clients calling `<service>-preview`. */
const previewTrafficSchema = z.union(
  [z.strictObject({ header: headerSchema }), z.strictObject({ service: z.strictObject({}) })],
  {
    error: (iss) => {
      const input: unknown = iss.input;
      if (input && typeof input === 'object' && !Array.isArray(input) && Object.keys(input).length === 1) {
        const key = Object.keys(input)[0];
        if (key === 'header' || key === 'service') return undefined;
      }
      return 'expected exactly one of header: { name, value } (a match on the app’s HTTPRoute) or service: {} (test traffic calls <service>-preview)';
    },
  },
);

const analysisWindow = z
  .strictObject({ min: durationSchema().optional(), max: durationSchema().optional() })
  .refine((a) => !a.min || !a.max || (parseDuration(a.min) ?? 0) <= (parseDuration(a.max) ?? 0), {
    error: 'expected min to be at most max',
  });

export const blueGreenSpecSchema = z.strictObject({
  /** Default: replicaRatio (no router: test traffic reaches the preview through `<service>-preview`). */
  router: routerSpecSchema.optional(),
  /** The preview's pods before promotion (default: spec.replicas). */
  previewReplicas: intRange(1, 10_000).optional(),
  /** How test traffic reaches the preview (required with prePromotionAnalysis). */
  previewTraffic: previewTrafficSchema.optional(),
  /** Judge the preview's test traffic against the stable revision's live traffic before the switch. */
  prePromotionAnalysis: analysisWindow.optional(),
  /** Promote on its own this long after the preview is ready (and its analysis passed). */
  autoPromote: z.strictObject({ after: durationSchema({ min: 0 }) }).optional(),
  /** Wait for `ramp promote` before the switch. */
  pause: z.strictObject({}).optional(),
  /** Judge the new revision's live traffic after the switch against the stable revision's last pre-switch windows. */
  postPromotionAnalysis: analysisWindow.optional(),
  /** How long the old revision keeps its pods after the switch: a rollback in it is one selector write. */
  scaleDownDelay: durationSchema({ min: 0 }).default('30s'),
});
export type BlueGreenSpec = z.output<typeof blueGreenSpecSchema>;

export type BlueGreenStep =
  | { kind: 'preview' }
  | { kind: 'analyze'; when: 'pre' | 'post'; minMs: number; maxMs?: number }
  | { kind: 'promote'; manual: boolean; afterMs: number }
  | { kind: 'fullSize' }
  | { kind: 'switch' }
  | { kind: 'scaleDownDelay' };

/** The blue-green block compiled: its steps, durations in milliseconds. */
export interface BlueGreenConfig {
  previewReplicas?: number;
  /** The header that routes a request to the preview, when test traffic comes that way. */
  previewMatch?: TrafficMatch;
  /** Test traffic calls `<service>-preview` directly. */
  previewService: boolean;
  steps: BlueGreenStep[];
  scaleDownDelayMs: number;
}

function windowOf(when: 'pre' | 'post', w: { min?: string; max?: string }): BlueGreenStep {
  return { kind: 'analyze', when, minMs: w.min ? ms(w.min) : 0, maxMs: w.max ? ms(w.max) : undefined };
}

export function compileBlueGreen(spec: BlueGreenSpec): BlueGreenConfig {
  const steps: BlueGreenStep[] = [{ kind: 'preview' }];
  if (spec.prePromotionAnalysis) steps.push(windowOf('pre', spec.prePromotionAnalysis));
  steps.push({
    kind: 'promote',
    manual: spec.pause !== undefined,
    afterMs: spec.autoPromote ? ms(spec.autoPromote.after) : 0,
  });
  steps.push({ kind: 'fullSize' }, { kind: 'switch' });
  if (spec.postPromotionAnalysis) steps.push(windowOf('post', spec.postPromotionAnalysis));
  steps.push({ kind: 'scaleDownDelay' });
  const header = spec.previewTraffic && 'header' in spec.previewTraffic ? spec.previewTraffic.header : undefined;
  return {
    previewReplicas: spec.previewReplicas,
    previewMatch: header ? headerIs(header.name, header.value) : undefined,
    previewService: spec.previewTraffic !== undefined && 'service' in spec.previewTraffic,
    steps,
    scaleDownDelayMs: ms(spec.scaleDownDelay),
  };
}

export function blueGreenRouter(spec: BlueGreenSpec): RouterRef {
  return routerRefOf(spec.router);
}

/** The names a step's text needs. */
export interface StepContext {
  replicas: number;
  previewReplicas: number;
  services: { stable: string; preview: string };
  config: BlueGreenConfig;
}

function window(minMs: number, maxMs: number | undefined): string {
  return `min ${formatDuration(minMs)}${maxMs !== undefined ? `, max ${formatDuration(maxMs)}` : ''}`;
}

/** Where the preview's test traffic comes from, as people read it. */
export function previewSource(c: StepContext): string {
  const m = c.config.previewMatch;
  if (m) return `requests with ${describeMatch(m)}`;
  return `requests to ${c.services.preview}`;
}

/** A step as people read it: `preview: 10 pods behind checkout-preview`, `switch checkout to the new revision`. */
export function describeBlueGreenStep(step: BlueGreenStep, c: StepContext): string {
  switch (step.kind) {
    case 'preview':
      return `preview: ${c.previewReplicas} pod${c.previewReplicas === 1 ? '' : 's'} behind ${c.services.preview}`;
    case 'analyze':
      return step.when === 'pre'
        ? `pre-promotion analysis of ${previewSource(c)} (${window(step.minMs, step.maxMs)})`
        : `post-promotion analysis of live traffic against the old revision's last windows (${window(step.minMs, step.maxMs)})`;
    case 'promote':
      if (step.manual) return 'pause until promoted';
      return step.afterMs > 0
        ? `promote ${formatDuration(step.afterMs)} after the preview is ready`
        : 'promote once the preview is ready';
    case 'fullSize':
      return c.previewReplicas < c.replicas
        ? `scale the new revision to ${c.replicas} pods, all ready`
        : `all ${c.replicas} pods of the new revision ready`;
    case 'switch':
      return `switch ${c.services.stable} to the new revision (one selector write)`;
    case 'scaleDownDelay':
      return `keep the old revision's pods for ${formatDuration(c.config.scaleDownDelayMs)}, then scale it down`;
  }
}

/**
 * The post-promotion analysis judges each of its windows against one pre-promotion window of the stable
 * revision, each used once (analysis/baseline.ts): it cannot run longer than the windows the
 * pre-promotion analysis surely keeps — it runs for at least its min, and until autoPromote.after — and
 * than the MAX_MEASUREMENTS a record keeps, none shorter than the analysis interval. Its min and max must
 * fit in that; without a max it ends when the windows run out.
 */
function checkWindowBudget(
  spec: BlueGreenSpec,
  pre: { min?: string },
  post: { min?: string; max?: string },
  facts: PlanFacts,
  add: (path: string, message: string) => void,
): void {
  // min is at most max: the max, when there is one, is the one to name.
  const key = post.max !== undefined ? 'max' : 'min';
  const value = post[key];
  if (value === undefined) return;
  const wanted = ms(value);
  const preMs = Math.max(pre.min ? ms(pre.min) : 0, spec.autoPromote ? ms(spec.autoPromote.after) : 0);
  const keptMs = MAX_MEASUREMENTS * facts.analysisIntervalMs;
  const once = 'each of its windows is judged against once after the switch';
  if (wanted > keptMs)
    add(
      `postPromotionAnalysis.${key}`,
      `expected at most ${formatDuration(keptMs)}: the analysis keeps its latest ${MAX_MEASUREMENTS} windows, none shorter than analysis.interval (${formatDuration(facts.analysisIntervalMs)}), and ${once}: lengthen analysis.interval or lower this`,
    );
  else if (wanted > preMs)
    add(
      `postPromotionAnalysis.${key}`,
      preMs === 0
        ? `the pre-promotion analysis may end at its first pass, keeping few windows, and ${once}: set prePromotionAnalysis.min to at least ${value}`
        : `expected at most ${formatDuration(preMs)}: the pre-promotion analysis surely lasts only that (prePromotionAnalysis.min${spec.autoPromote ? ', or autoPromote.after' : ''}), and ${once}: raise prePromotionAnalysis.min to at least ${value} or lower this`,
    );
}

/**
 * Checks that need the rest of the plan: the preview no larger than the app, one way to promote, a way
 * for test traffic to reach the preview when it is judged (that the router can express), metrics for the
 * analyses and analyses for the metrics, and the pre-promotion windows the post-promotion analysis
 * compares with.
 */
export function checkBlueGreen(
  spec: BlueGreenSpec,
  facts: PlanFacts,
  capabilities: RouterCapabilities,
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });
  if (spec.previewReplicas !== undefined && spec.previewReplicas > facts.replicas)
    add('previewReplicas', `expected at most spec.replicas (${facts.replicas})`);
  if (spec.autoPromote && spec.pause)
    add('pause', 'expected either autoPromote (promote on its own) or pause (wait for ramp promote), not both');
  const header = spec.previewTraffic && 'header' in spec.previewTraffic;
  if (header && !capabilities.headerMatch)
    add(
      'previewTraffic.header',
      'a header match needs a router that matches headers (router: { gatewayApi: { httpRoute } }); without one, send test traffic to the preview Service: previewTraffic: { service: {} }',
    );
  if (spec.prePromotionAnalysis) {
    if (!spec.previewTraffic)
      add(
        'previewTraffic',
        'prePromotionAnalysis judges the preview on test traffic, and real users never reach the preview: say how test traffic does — header: { name, value } (a match on the app’s HTTPRoute) or service: {} (it calls <service>-preview)',
      );
    if (facts.metricCount === 0) add('prePromotionAnalysis', 'the analysis needs spec.analysis.metrics');
    else if (facts.requestMetricCount === 0)
      add(
        'prePromotionAnalysis',
        'the analysis needs an errorRate or latency metric: they count the preview’s requests, so a preview no test request reached is never passed (a query with a fixed bound can pass one)',
      );
  }
  if (spec.postPromotionAnalysis) {
    if (facts.metricCount === 0) add('postPromotionAnalysis', 'the analysis needs spec.analysis.metrics');
    if (!spec.prePromotionAnalysis)
      add(
        'postPromotionAnalysis',
        'after the switch the old revision serves nothing, so the analysis compares with its last windows before the switch: add prePromotionAnalysis, which measures them',
      );
    else checkWindowBudget(spec, spec.prePromotionAnalysis, spec.postPromotionAnalysis, facts, add);
  }
  if (facts.metricCount > 0 && !spec.prePromotionAnalysis && !spec.postPromotionAnalysis)
    add(
      'prePromotionAnalysis',
      'spec.analysis.metrics are set but nothing judges them: add prePromotionAnalysis (and postPromotionAnalysis)',
    );
  return problems;
}
