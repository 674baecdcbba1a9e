/**
 * Property: whatever malformed plan is thrown at POST …/rollouts — random JSON values, random text,
 * valid plans mutated (wrong types, unknown fields, out-of-range numbers, deleted required fields,
 * another namespace) — the answer is a 400 or 422 in the error shape, never a 500, and nothing is
 * written: no record for the app, no new key under the test's Redis prefix.
 */
import fc from 'fast-check';
import request from 'supertest';
import Redis from 'ioredis';
import YAML from 'yaml';
import { planFromBody } from '../../../src/api/planBody';
import { errorBodySchema } from '../../../src/api/schemas';
import { testRedisUrl } from '../../helpers/redis';
import { bearer, startApi, TOKENS, type ApiHarness } from './apiHarness';

const NS = 'fuzz';
const URL_ = `/api/v1/namespaces/${NS}/rollouts`;
const SEED = 20240611;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Path = (string | number)[];

/** A plan using most of the schema: gatewayApi router, every step kind, every metric kind, a template. */
const VALID: Json = {
  apiVersion: 'ramp.dev/v1alpha1',
  kind: 'Rollout',
  metadata: { name: 'web', namespace: NS, labels: { team: 'shop' } },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [
          {
            name: 'app',
            image: 'ramp.dev/demo-app:v2',
            ports: [{ name: 'http', containerPort: 8080 }],
            env: [{ name: 'VERSION', value: 'v2' }],
          },
        ],
      },
    },
    service: { name: 'web', port: 80, targetPort: 'http' },
    strategy: {
      canary: {
        router: { gatewayApi: { httpRoute: 'web' } },
        steps: [
          { setWeight: 10 },
          { analyze: { min: '30s', max: '2m' } },
          { setCanaryScale: { replicas: 2 } },
          { pause: { duration: '1m' } },
          { setWeight: 50 },
          { pause: {} },
        ],
        scaleDownDelay: '30s',
      },
    },
    analysis: {
      interval: '5s',
      alpha: 0.01,
      onInconclusive: 'pause',
      metrics: [
        { name: 'errors', errorRate: { maxRatio: 1.5, minRequests: 100 } },
        { name: 'latency', latency: { quantile: 0.99, maxRatio: 1.2 } },
        { name: 'depth', query: 'max(queue_depth{app="{{app}}"})', threshold: { max: 100, failureLimit: 1 } },
      ],
    },
    progressDeadline: '10m',
  },
};

/** Objects that refuse unknown fields (the loose Kubernetes template is checked by its own schema). */
const STRICT_OBJECTS: Path[] = [
  [],
  ['metadata'],
  ['spec'],
  ['spec', 'selector'],
  ['spec', 'service'],
  ['spec', 'strategy'],
  ['spec', 'strategy', 'canary'],
  ['spec', 'strategy', 'canary', 'router'],
  ['spec', 'strategy', 'canary', 'steps', 0],
  ['spec', 'strategy', 'canary', 'steps', 1, 'analyze'],
  ['spec', 'analysis'],
  ['spec', 'analysis', 'metrics', 0],
  ['spec', 'analysis', 'metrics', 1, 'latency'],
  ['spec', 'analysis', 'metrics', 2, 'threshold'],
];

const REQUIRED: Path[] = [
  ['apiVersion'],
  ['kind'],
  ['metadata'],
  ['metadata', 'name'],
  ['spec'],
  ['spec', 'replicas'],
  ['spec', 'selector'],
  ['spec', 'selector', 'matchLabels'],
  ['spec', 'service'],
  ['spec', 'service', 'name'],
  ['spec', 'service', 'port'],
  ['spec', 'strategy'],
  ['spec', 'strategy', 'canary'],
  ['spec', 'strategy', 'canary', 'steps'],
  ['spec', 'template'],
  ['spec', 'template', 'spec'],
  ['spec', 'template', 'spec', 'containers'],
  ['spec', 'template', 'spec', 'containers', 0, 'name'],
  ['spec', 'template', 'spec', 'containers', 0, 'image'],
  ['spec', 'analysis', 'metrics', 0, 'name'],
  ['spec', 'analysis', 'metrics', 1, 'latency', 'quantile'],
  ['spec', 'analysis', 'metrics', 2, 'threshold'],
];

/** Values just outside what each numeric or duration field allows. */
const OUT_OF_RANGE: [Path, Json[]][] = [
  [
    ['spec', 'replicas'],
    [0, -1, 10_001, 1.5, 1e308],
  ],
  [
    ['spec', 'strategy', 'canary', 'steps', 0, 'setWeight'],
    [-1, 101, 50.5, 1e9],
  ],
  [
    ['spec', 'strategy', 'canary', 'steps', 2, 'setCanaryScale', 'replicas'],
    [-1, 10_001, 0.5],
  ],
  [
    ['spec', 'service', 'port'],
    [0, 65_536, -80],
  ],
  [
    ['spec', 'analysis', 'alpha'],
    [0, 0.51, -0.1, 1],
  ],
  [
    ['spec', 'analysis', 'interval'],
    ['999ms', '11m', '0s', '5', 'five seconds', ''],
  ],
  [
    ['spec', 'analysis', 'metrics', 0, 'errorRate', 'maxRatio'],
    [0.99, 0, -2],
  ],
  [
    ['spec', 'analysis', 'metrics', 0, 'errorRate', 'minRequests'],
    [0, 1_000_001],
  ],
  [
    ['spec', 'analysis', 'metrics', 1, 'latency', 'quantile'],
    [0, 1, 1.5, -0.5],
  ],
  [
    ['spec', 'analysis', 'metrics', 2, 'threshold', 'failureLimit'],
    [-1, 1001],
  ],
  [
    ['spec', 'progressDeadline'],
    ['999ms', '1x', '-5m'],
  ],
  [['spec', 'strategy', 'canary', 'steps', 1, 'analyze', 'min'], ['5m']],
  [
    ['metadata', 'name'],
    ['Web', 'web_1', '-web', 'x'.repeat(64), ''],
  ],
  [
    ['spec', 'template', 'spec', 'containers', 0, 'ports', 0, 'containerPort'],
    ['http', -1, 1.5],
  ],
];

/** Every path into the valid plan (for wrong-type mutations). */
function allPaths(v: Json, at: Path = []): Path[] {
  if (v === null || typeof v !== 'object') return [at];
  const children = Array.isArray(v)
    ? v.map((c, i) => allPaths(c, [...at, i]))
    : Object.entries(v).map(([k, c]) => allPaths(c, [...at, k]));
  return [...(at.length ? [at] : []), ...children.flat()];
}
const PATHS = allPaths(VALID);

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

function parentOf(root: Json, path: Path): { parent: Record<string | number, Json>; key: string | number } | undefined {
  let cur: Json = root;
  for (const seg of path.slice(0, -1)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, Json>)[seg];
  }
  if (cur === null || typeof cur !== 'object') return undefined;
  return { parent: cur as Record<string | number, Json>, key: path[path.length - 1] };
}

function get(root: Json, path: Path): Json | undefined {
  const p = parentOf(root, path);
  return p ? p.parent[p.key] : undefined;
}

const typeOf = (v: Json | undefined): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

type Mutation = (plan: Json) => void;

const anyJson: fc.Arbitrary<Json> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 8 }),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), fc.integer(), { maxKeys: 2 }),
) as fc.Arbitrary<Json>;

const wrongType: fc.Arbitrary<Mutation> = fc
  .tuple(fc.constantFrom(...PATHS), anyJson)
  .map(([path, value]) => (plan: Json) => {
    const p = parentOf(plan, path);
    // A value of the same type would often still be valid; the pre-condition below filters what is.
    if (p && typeOf(p.parent[p.key]) !== typeOf(value)) p.parent[p.key] = value;
  });

const unknownField: fc.Arbitrary<Mutation> = fc
  .tuple(
    fc.constantFrom(...STRICT_OBJECTS),
    fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !['__proto__', 'constructor'].includes(k)),
    anyJson,
  )
  .map(([path, key, value]) => (plan: Json) => {
    const target = path.length ? get(plan, path) : plan;
    if (target && typeof target === 'object' && !Array.isArray(target) && !(key in target))
      (target as Record<string, Json>)[`x-${key}`] = value;
  });

const outOfRange: fc.Arbitrary<Mutation> = fc.constantFrom(...OUT_OF_RANGE).chain(([path, values]) =>
  fc.constantFrom(...values).map((value) => (plan: Json) => {
    const p = parentOf(plan, path);
    if (p) p.parent[p.key] = value;
  }),
);

const deleteRequired: fc.Arbitrary<Mutation> = fc.constantFrom(...REQUIRED).map((path) => (plan: Json) => {
  const p = parentOf(plan, path);
  if (p && !Array.isArray(p.parent)) delete p.parent[p.key];
});

const otherNamespace: fc.Arbitrary<Mutation> = fc
  .constantFrom('default', 'other', 'FUZZ', '', 42 as unknown as string)
  .map((ns) => (plan: Json) => {
    const m = get(plan, ['metadata']);
    if (m && typeof m === 'object' && !Array.isArray(m)) (m as Record<string, Json>).namespace = ns;
  });

const mutatedPlan: fc.Arbitrary<Json> = fc
  .array(fc.oneof(wrongType, unknownField, outOfRange, deleteRequired, otherNamespace), { minLength: 1, maxLength: 3 })
  .map((ms) => {
    const plan = clone(VALID);
    for (const m of ms) m(plan);
    return plan;
  });

function isValid(body: unknown): boolean {
  try {
    planFromBody(body, NS);
    return true;
  } catch {
    return false;
  }
}

let h: ApiHarness;
let keysBefore: string[] = [];
const statuses = new Map<number, number>();

async function prefixKeys(): Promise<string[]> {
  const redis = new Redis(testRedisUrl());
  try {
    // The queue writes its metadata key on its own when it connects; requests have nothing to do with it.
    return (await redis.keys(`${h.prefix}*`)).filter((k) => !/:queue:.*:meta$/.test(k)).sort();
  } finally {
    redis.disconnect();
  }
}

beforeAll(async () => {
  h = await startApi('fuzz');
  keysBefore = await prefixKeys();
});
afterAll(async () => {
  await h?.close();
});

async function expectRefused(res: request.Response): Promise<void> {
  statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
  if (res.status !== 400 && res.status !== 422) throw new Error(`answered ${res.status}: ${res.text}`);
  const body = errorBodySchema.parse(res.body);
  expect(body.error.code).toBe(res.status === 400 ? 'BAD_REQUEST' : 'INVALID_PLAN');
  if (res.status === 422) expect(body.error.details.length).toBeGreaterThan(0);
  expect(res.text).not.toMatch(/\n\s+at |node_modules/);
}

async function expectNothingWritten(): Promise<void> {
  expect(await h.deps.store.list(NS)).toEqual([]);
  expect(await h.deps.store.getLatest(NS, 'web')).toBeUndefined();
}

const send = (body: string, type: string) =>
  request(h.app).post(URL_).set(bearer(TOKENS.admin)).set('Content-Type', type).send(body);

describe('malformed plans at POST /rollouts', () => {
  it('the valid plan the mutations start from is valid', () => {
    expect(isValid(VALID)).toBe(true);
  });

  it('mutated plans (wrong types, unknown fields, out of range, missing fields, other namespace) get 400/422 and write nothing', async () => {
    let skipped = 0;
    await fc.assert(
      fc.asyncProperty(mutatedPlan, fc.boolean(), async (plan, asYaml) => {
        if (isValid(plan)) {
          skipped++;
          return;
        }
        await expectRefused(
          await send(
            asYaml ? YAML.stringify(plan) : JSON.stringify(plan),
            asYaml ? 'application/yaml' : 'application/json',
          ),
        );
        await expectNothingWritten();
      }),
      { seed: SEED, numRuns: 400 },
    );
    // The mutations are meant to break the plan; a few land on valid values (a different but legal type).
    expect(skipped).toBeLessThan(40);
  }, 120_000);

  it('random JSON values get 400/422 and write nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (value) => {
        await expectRefused(await send(JSON.stringify(value) ?? 'null', 'application/json'));
        await expectNothingWritten();
      }),
      { seed: SEED + 1, numRuns: 200 },
    );
  }, 60_000);

  it('random text as JSON or YAML gets 400/422 and writes nothing', async () => {
    const yamlish = fc.stringMatching(/^[a-z:{}[\]\-,'" \n#&*!|>%@`0-9.]{1,80}$/);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ maxLength: 80 }), yamlish, fc.string({ unit: 'binary', maxLength: 40 })),
        fc.constantFrom('application/json', 'application/yaml', 'text/yaml'),
        async (text, type) => {
          if (text.trim() === '') return;
          await expectRefused(await send(text, type));
          await expectNothingWritten();
        },
      ),
      { seed: SEED + 2, numRuns: 300 },
    );
  }, 60_000);

  it('left no new key under the test prefix', async () => {
    expect(await prefixKeys()).toEqual(keysBefore);
    // Both kinds of refusal were exercised.
    expect(statuses.get(400)).toBeGreaterThan(0);
    expect(statuses.get(422)).toBeGreaterThan(0);
  });
});
