import { PlanValidationError } from '../../../src/errors';
import fc from 'fast-check';
import { compilePlan } from '../../../src/plan/compile';
import { formatDuration, parseDuration } from '../../../src/plan/duration';
import { parsePlanText, validatePlan } from '../../../src/plan/parse';
import { revisionOf, templateWithImage } from '../../../src/plan/revision';
import { canonicalJson } from '../../../src/util/canonicalJson';

const PLAN = `
apiVersion: ramp.dev/v1alpha1
kind: Rollout
metadata: { name: checkout, namespace: shop }
spec:
  replicas: 10
  selector: { matchLabels: { app: checkout } }
  template:
    metadata: { labels: { app: checkout } }
    spec:
      containers:
        - name: app
          image: ramp.dev/demo-app:v2
  service: { name: checkout, port: 80 }
  strategy:
    canary:
      router: { gatewayApi: { httpRoute: checkout } }
      steps:
        - setWeight: 5
        - analyze: { min: 1m, max: 10m }
        - setWeight: 25
        - pause: { duration: 30s }
        - setWeight: 50
        - pause: {}
  analysis:
    interval: 5s
    metrics:
      - name: errors
        errorRate: { maxRatio: 1.5 }
      - name: latency
        latency: { quantile: 0.99, maxRatio: 1.2 }
      - name: queue-depth
        query: 'max(queue_depth{app="{{app}}",revision="{{canary.revision}}"})'
        threshold: { max: 100 }
  progressDeadline: 10m
`;

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof PlanValidationError) return e.problems.map((p) => `${p.path}: ${p.message}`);
    throw e;
  }
  throw new Error('expected a PlanValidationError');
}

describe('plans', () => {
  it('parses the DESIGN §4 example and compiles durations to milliseconds', () => {
    const plan = parsePlanText(PLAN);
    const c = compilePlan(plan);
    expect(c.strategy.router).toEqual({ key: 'gatewayApi', config: { httpRoute: 'checkout' } });
    const canary = c.strategy.config as { steps: unknown[]; scaleDownDelayMs: number };
    expect(canary.steps).toEqual([
      { kind: 'setWeight', weight: 5 },
      { kind: 'analyze', minMs: 60_000, maxMs: 600_000 },
      { kind: 'setWeight', weight: 25 },
      { kind: 'pause', durationMs: 30_000 },
      { kind: 'setWeight', weight: 50 },
      { kind: 'pause', durationMs: undefined },
    ]);
    expect(c.progressDeadlineMs).toBe(600_000);
    expect(c.analysis.intervalMs).toBe(5000);
    expect(c.service.names.canary).toBe('checkout-canary');
    expect(canary.scaleDownDelayMs).toBe(30_000);
  });

  it('keeps 10 old ReplicaSets by default, as a Deployment does; any count from 0, and says so by field path', () => {
    expect(compilePlan(parsePlanText(PLAN)).revisionHistoryLimit).toBe(10);
    const withLimit = (v: string) =>
      PLAN.replace('progressDeadline: 10m', `progressDeadline: 10m\n  revisionHistoryLimit: ${v}`);
    expect(compilePlan(parsePlanText(withLimit('0'))).revisionHistoryLimit).toBe(0);
    expect(compilePlan(parsePlanText(withLimit('3'))).revisionHistoryLimit).toBe(3);
    for (const bad of ['-1', '2.5', 'many', '1001'])
      expect(problemsOf(() => parsePlanText(withLimit(bad)))).toEqual([
        'spec.revisionHistoryLimit: expected an integer 0–1000',
      ]);
  });

  it('names the field path and what was expected', () => {
    expect(problemsOf(() => parsePlanText(PLAN.replace('setWeight: 25', 'setWeight: 250')))).toEqual([
      'spec.strategy.canary.steps[2].setWeight: expected an integer 0–100',
    ]);
    expect(problemsOf(() => parsePlanText(PLAN.replace('duration: 30s', 'duration: soon')))).toEqual([
      'spec.strategy.canary.steps[3].pause.duration: expected a duration like 30s, 5m or 1h30m',
    ]);
    expect(problemsOf(() => parsePlanText(PLAN.replace('- setWeight: 50', '- setWieght: 50')))).toEqual([
      'spec.strategy.canary.steps[4]: expected exactly one of setWeight, pause, analyze, setCanaryScale',
    ]);
    // A step written as a scalar says what it was most likely meant to be.
    expect(problemsOf(() => parsePlanText(PLAN.replace('pause: { duration: 30s }', 'pause: 30s')))).toEqual([
      'spec.strategy.canary.steps[3]: expected pause: { duration: 30s } (or pause: {} to wait for ramp promote)',
    ]);
    expect(problemsOf(() => parsePlanText(PLAN.replace('- setWeight: 50', '- setCanaryScale: 2')))).toEqual([
      'spec.strategy.canary.steps[4]: expected setCanaryScale: { replicas: 2 } (or weight, or matchTrafficWeight: true)',
    ]);
    expect(problemsOf(() => parsePlanText(PLAN.replace('replicas: 10', 'replicas: ten')))).toEqual([
      'spec.replicas: expected an integer 1–10000',
    ]);
    expect(
      problemsOf(() =>
        parsePlanText(
          PLAN.replace('image: ramp.dev/demo-app:v2', 'image: ramp.dev/demo-app:v2\n          imagePullPolcy: Always'),
        ),
      ),
    ).toEqual(['spec.template.spec.containers[0].imagePullPolcy: unknown field']);
    expect(
      problemsOf(() =>
        parsePlanText(
          PLAN.replace(
            '{ app: checkout } }\n  template:\n    metadata: { labels: { app: checkout } }',
            '{ app: checkout } }\n  template:\n    metadata: { labels: { app: other } }',
          ),
        ),
      ),
    ).toEqual(["spec.template.metadata.labels: expected the selector's label app: checkout"]);
    expect(problemsOf(() => parsePlanText(PLAN.replace('maxRatio: 1.5', 'maxRatio: 0.5')))).toEqual([
      'spec.analysis.metrics[0].errorRate.maxRatio: expected a number ≥ 1',
    ]);
    expect(problemsOf(() => parsePlanText(PLAN.replace('threshold: { max: 100 }', '')))).toEqual([
      'spec.analysis.metrics[2].threshold: expected a threshold (min and/or max) for a query metric',
    ]);
    expect(problemsOf(() => parsePlanText(`${PLAN}\nextra: 1`))).toEqual(['extra: unknown field']);
    expect(problemsOf(() => parsePlanText('spec: [1, 2'))[0]).toMatch(
      /^: not valid YAML or JSON \(line \d+, column \d+\)/,
    );
    expect(problemsOf(() => parsePlanText(''))).toEqual([': the plan is empty']);
  });

  it('wants a template or an image, not both, and traffic before analysis', () => {
    const both = parsePlanText(PLAN);
    expect(problemsOf(() => validatePlan({ ...both, spec: { ...both.spec, image: 'x:1' } }))).toEqual([
      'spec.template: expected exactly one of template (the new version) or image (a new image for the stable template)',
    ]);
    expect(problemsOf(() => parsePlanText(PLAN.replace('- setWeight: 5\n        - analyze', '- analyze')))).toEqual([
      'spec.strategy.canary.steps[0].analyze: an analyze step needs traffic to the canary first: put a setWeight step (above 0) before it',
    ]);
  });

  it('takes spec.adopt naming a Deployment, compiled for the engine, and refuses a bad one by its path', () => {
    const plan = parsePlanText(
      PLAN.replace('  progressDeadline: 10m', '  progressDeadline: 10m\n  adopt: { deployment: checkout.v1 }'),
    );
    expect(compilePlan(plan).adopt).toEqual({ deployment: 'checkout.v1' });
    expect(compilePlan(parsePlanText(PLAN)).adopt).toBeUndefined();
    expect(
      problemsOf(() => parsePlanText(PLAN.replace('  progressDeadline: 10m', '  adopt: { deployment: Checkout_1 }'))),
    ).toEqual([
      "spec.adopt.deployment: expected a Deployment name: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters",
    ]);
    expect(
      problemsOf(() => parsePlanText(PLAN.replace('  progressDeadline: 10m', '  adopt: { replicaSet: x }')))[0],
    ).toMatch(/^spec\.adopt/);
  });

  it('parses and formats durations', () => {
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('5')).toBeUndefined();
    expect(parseDuration('5 m')).toBeUndefined();
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 86_400 }), (s) =>
        expect(parseDuration(formatDuration(s * 1000))).toBe(s * 1000),
      ),
      { seed: 3 },
    );
  });

  it('gives a template the same revision whatever its key order', () => {
    const anyJson = fc.letrec((tie) => ({
      value: fc.oneof(
        fc.string(),
        fc.integer(),
        fc.boolean(),
        fc.array(tie('value'), { maxLength: 3 }),
        fc.dictionary(fc.string({ maxLength: 5 }), tie('value'), { maxKeys: 4 }),
      ),
    })).value;
    const shuffle = (v: unknown, seed: number): unknown => {
      if (Array.isArray(v)) return v.map((x, i) => shuffle(x, seed + i));
      if (v && typeof v === 'object') {
        const entries = Object.entries(v as Record<string, unknown>);
        entries.sort(
          (a, b) =>
            ((a[0] + seed).length % 3) - ((b[0] + seed).length % 3) ||
            (seed % 2 ? a[0].localeCompare(b[0]) : b[0].localeCompare(a[0])),
        );
        return Object.fromEntries(entries.map(([k, x]) => [k, shuffle(x, seed + 1)]));
      }
      return v;
    };
    fc.assert(
      fc.property(anyJson, fc.integer(), (v, seed) => {
        expect(canonicalJson(shuffle(v, seed))).toBe(canonicalJson(v));
        expect(revisionOf(shuffle(v, seed))).toBe(revisionOf(v));
      }),
      { seed: 11 },
    );
    expect(revisionOf({ a: 1 })).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{10}$/);
    expect(revisionOf({ a: 1 })).not.toBe(revisionOf({ a: 2 }));
  });

  it('builds the new template from the stable one for `image:` plans', () => {
    const stable = {
      spec: {
        containers: [
          { name: 'app', image: 'a:1' },
          { name: 'proxy', image: 'p:1' },
        ],
      },
    };
    expect(templateWithImage(stable, 'app=a:2')).toEqual({
      spec: {
        containers: [
          { name: 'app', image: 'a:2' },
          { name: 'proxy', image: 'p:1' },
        ],
      },
    });
    expect(templateWithImage(stable, 'a:2')).toMatch(/2 containers/);
    expect(templateWithImage(stable, 'db=d:2')).toMatch(/no container "db"/);
    expect(
      templateWithImage({ spec: { containers: [{ name: 'app', image: 'a:1' }] } }, 'registry.example.com:5000/a:2'),
    ).toEqual({ spec: { containers: [{ name: 'app', image: 'registry.example.com:5000/a:2' }] } });
  });
});
