/**
 * Fuzz of plans that look valid, through the API: a few thousand plans built from every strategy, step,
 * metric kind, placeholder, pod field and limit — most pass the schema — sent as dry runs and as creates
 * by a namespace token. Whatever the plan, the answer is a 2xx or a 4xx in the error shape, never a 500,
 * and a refused create writes nothing.
 */
import fc from 'fast-check';
import request from 'supertest';
import { errorBodySchema } from '../../../src/api/schemas';
import { validatePlan } from '../../../src/plan/parse';
import { prepareNamespace, startEngineHarness, type EngineHarness } from '../../helpers/engineHarness';
import { bearer, startApi, TOKENS, type ApiHarness } from '../api/apiHarness';

const NS = 'a';
const SEED = 20261205;

/** `good` nine times in ten, else `bad`: most plans pass, and every refusal is still reached. */
function mostly<T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>): fc.Arbitrary<T | U> {
  return fc.oneof({ arbitrary: good, weight: 9 }, { arbitrary: bad, weight: 1 });
}
const RUNS = 2000;

const duration = mostly(
  fc.constantFrom('1s', '2s', '30s', '5m', '1h'),
  fc.oneof(
    fc.constantFrom('0s', '7d', '8d', '1.5s', '100ms'),
    fc.integer({ min: 0, max: 10_000_000 }).map((n) => `${n}s`),
  ),
);
const amount = fc.oneof(
  fc.integer({ min: 0, max: 30 }),
  fc.integer({ min: 0, max: 150 }).map((n) => `${n}%`),
);
const query = mostly(
  fc.constantFrom(
    'sum(rate(http_requests_total{namespace="{{namespace}}", pod=~".*{{canary.revision}}.*"}[{{interval}}]))',
    'max(queue_depth{ {{canary.selector}} })',
    'sum(x{namespace="team-b"}) or on() vector(1)',
  ),
  fc.constantFrom(
    'sum(rate(http_requests_total{namespace="{{namespace}}", pod=~".*{{canary.revision}}.*"}[{{interval}}]))',
    'max(queue_depth{ {{canary.selector}} })',
    'sum(x{namespace="team-b"}) or on() vector(1)',
    'label_replace(up, "namespace", "b", "", "")',
    'count_values("v", {__name__=~".+"})',
    'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{ {{stable.selector}} }[1m])))',
    'up{{ns}}',
    'sum(',
    'absent(nope{app="{{app}}"})',
    'x[5m:1s] offset 1h @ end()',
  ),
);
const metric = fc.oneof(
  fc.record({
    name: fc.constantFrom('errors', 'err-2'),
    errorRate: fc.record(
      { maxRatio: fc.double({ min: 0.5, max: 10, noNaN: true }), minRequests: fc.integer({ min: 0, max: 10_000 }) },
      { requiredKeys: [] },
    ),
  }),
  fc.record({
    name: fc.constant('latency'),
    latency: fc.record({
      quantile: fc.double({ min: 0.01, max: 0.999, noNaN: true }),
      maxRatio: fc.double({ min: 1, max: 5, noNaN: true }),
    }),
  }),
  fc.record({
    name: fc.constantFrom('q1', 'q2'),
    query,
    threshold: fc.record(
      { max: fc.integer({ min: 0, max: 1000 }), failureLimit: fc.integer({ min: 0, max: 5 }) },
      { requiredKeys: [] },
    ),
  }),
);
const canaryStep = fc.oneof(
  fc.integer({ min: 0, max: 100 }).map((w) => ({ setWeight: w })),
  duration.map((d) => ({ pause: { duration: d } })),
  fc.constant({ pause: {} }),
  fc.record({ min: duration, max: duration }, { requiredKeys: [] }).map((a) => ({ analyze: a })),
  fc.integer({ min: 0, max: 12 }).map((r) => ({ setCanaryScale: { replicas: r } })),
  fc.constant({ setCanaryScale: { matchTrafficWeight: true } }),
);
const router = fc.constantFrom(
  { replicaRatio: {} },
  { gatewayApi: { httpRoute: 'checkout' } },
  { gatewayApi: { httpRoute: 'missing' } },
);
const strategy = fc.oneof(
  fc.record({ canary: fc.record({ router, steps: fc.array(canaryStep, { maxLength: 8 }), scaleDownDelay: duration }) }),
  fc.record({
    blueGreen: fc.record(
      {
        previewReplicas: fc.integer({ min: 1, max: 3 }),
        previewTraffic: fc.constantFrom({ service: {} }, { header: { name: 'x-preview', value: '1' } }),
        prePromotionAnalysis: fc.record({ min: duration }, { requiredKeys: [] }),
        autoPromote: fc.record({ after: duration }),
        postPromotionAnalysis: fc.record({ max: duration }, { requiredKeys: [] }),
        scaleDownDelay: duration,
      },
      { requiredKeys: [] },
    ),
  }),
  fc.record({
    rolling: fc.record(
      {
        maxSurge: amount,
        maxUnavailable: amount,
        batches: fc.array(fc.oneof(amount, fc.record({ replicas: amount, pause: fc.constant({}) })), { maxLength: 5 }),
      },
      { requiredKeys: [] },
    ),
  }),
);
const container = fc.record(
  {
    name: fc.constant('app'),
    image: fc.constantFrom('ramp.dev/demo-app:v2', 'ramp.dev/demo-app@sha256:' + 'a'.repeat(64), 'nope:1', 'Bad Image'),
    ports: fc.constant([{ name: 'http', containerPort: 8080 }]),
    env: fc.array(fc.record({ name: fc.constantFrom('A', 'B_C', 'ERROR_RATE'), value: fc.string({ maxLength: 20 }) }), {
      maxLength: 3,
    }),
    securityContext: mostly(
      fc.record(
        { runAsUser: fc.integer({ min: 1000, max: 2000 }), capabilities: fc.constant({ drop: ['ALL'] }) },
        { requiredKeys: [] },
      ),
      fc.record(
        {
          privileged: fc.boolean(),
          runAsUser: fc.integer({ min: 0, max: 2000 }),
          allowPrivilegeEscalation: fc.boolean(),
          capabilities: fc.constantFrom({ add: ['NET_ADMIN'] }, { add: ['SYS_ADMIN'] }),
        },
        { requiredKeys: [] },
      ),
    ),
  },
  { requiredKeys: ['name', 'image', 'ports'] },
);
const podSpec = fc.record(
  {
    containers: fc
      .array(container, { minLength: 1, maxLength: 2 })
      .map((cs) => cs.map((c, i) => ({ ...c, name: `c${i}` }))),
    hostNetwork: mostly(fc.constant(false), fc.constant(true)),
    serviceAccountName: mostly(fc.constant('default'), fc.constant('admin')),
    volumes: mostly(fc.constant([{ name: 'e', emptyDir: {} }]), fc.constant([{ name: 'h', hostPath: { path: '/' } }])),
  },
  { requiredKeys: ['containers'] },
);

function planFor(
  app: string,
  p: { replicas: number; strategy: unknown; metrics: unknown[]; interval: string; pod: unknown; onPodFailure: string },
) {
  return {
    apiVersion: 'ramp.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: app, namespace: NS },
    spec: {
      replicas: p.replicas,
      selector: { matchLabels: { app } },
      template: { metadata: { labels: { app } }, spec: p.pod },
      service: { name: app, port: 80, targetPort: 'http' },
      strategy: p.strategy,
      analysis: { interval: p.interval, metrics: p.metrics },
      onPodFailure: p.onPodFailure,
    },
  };
}

describe('security: a fuzz of valid-looking plans through the API', () => {
  let h: EngineHarness;
  let api: ApiHarness;

  beforeAll(async () => {
    h = await startEngineHarness('vfuzz', { worker: false });
    api = await startApi('vfuzz', { deps: h.deps });
    await prepareNamespace(h.sb, NS);
  }, 90_000);
  afterAll(async () => {
    await api?.close();
    await h?.close();
  });

  it(`answers ${RUNS} plans with 2xx or 4xx in the error shape, never 500, and a refused create writes nothing`, async () => {
    const statuses = new Map<number, number>();
    let schemaValid = 0;
    let n = 0;
    const samples: string[] = [];
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          replicas: fc.integer({ min: 2, max: 12 }),
          strategy,
          metrics: fc.uniqueArray(metric, { maxLength: 3, selector: (m) => m.name }),
          interval: fc.constantFrom('1s', '5s', '1m'),
          pod: podSpec,
          onPodFailure: fc.constantFrom('rollback', 'pause'),
          create: fc.boolean(),
        }),
        async (p) => {
          const app = `app${n++}`;
          const plan = planFor(app, p);
          try {
            validatePlan(plan);
            schemaValid++;
          } catch {
            // Refused by the schema: still sent, still must be a clean 4xx.
          }
          const res = await request(api.app)
            .post(`/api/v1/namespaces/${NS}/rollouts${p.create ? '' : '?dryRun=true'}`)
            .set(bearer(TOKENS.teamA))
            .send(plan);
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          expect(res.status).toBeLessThan(500);
          if (res.status >= 400) {
            if (samples.length < 12)
              samples.push(`${res.status} ${JSON.stringify(res.body.error?.details?.[0] ?? res.body.error?.message)}`);
            expect(errorBodySchema.safeParse(res.body).success).toBe(true);
            expect(await h.deps.store.getLatest(NS, app)).toBeUndefined();
          } else if (p.create) expect((await h.deps.store.getLatest(NS, app))?.id).toBe(res.body.id);
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
    process.stderr.write(`[valid-plan fuzz] refusals, a sample:\n  ${samples.join('\n  ')}\n`);
    process.stderr.write(
      `[valid-plan fuzz] ${RUNS} plans, ${schemaValid} schema-valid; statuses ${JSON.stringify(Object.fromEntries(statuses))}\n`,
    );
    // The generator reaches past the schema: hundreds of plans get through it, and some through every check.
    expect(schemaValid).toBeGreaterThan(RUNS / 20);
    expect((statuses.get(200) ?? 0) + (statuses.get(201) ?? 0)).toBeGreaterThan(50);
  }, 600_000);
});
