/**
 * The gray strategy on the simulated cluster: slices of requests (a header, then a share of users by id)
 * reach the new revision before any weight, each setSlice inheriting what it does not change; a sticky
 * weight step; promotion and rollback as a canary's — and the plans it refuses, each with its field path.
 */
import { PlanValidationError } from '../../../src/errors';
import { compilePlan } from '../../../src/plan/compile';
import { validatePlan } from '../../../src/plan/parse';
import type { Plan } from '../../../src/plan/schema';
import { bindStrategy } from '../../../src/strategies/registry';
import type { Traffic } from '../../../src/strategies/traffic';
import { initialRecord, simulate } from './simulator';

const BETA = { header: { name: 'x-beta', value: '1' } };
const USERS = { percent: 5, header: 'x-user-id', idFormat: 'uuid' };

function plan(
  gray: Record<string, unknown>,
  opts: { router?: Record<string, unknown>; metrics?: unknown[]; replicas?: number } = {},
): Plan {
  return validatePlan({
    apiVersion: 'ramp.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'checkout', namespace: 'shop' },
    spec: {
      replicas: opts.replicas ?? 10,
      selector: { matchLabels: { app: 'checkout' } },
      image: 'ramp.dev/demo-app:v2',
      service: { name: 'checkout', port: 80 },
      strategy: { gray: { router: opts.router ?? { gatewayApi: { httpRoute: 'checkout' } }, ...gray } },
      analysis: { interval: '5s', metrics: opts.metrics ?? [{ name: 'errors', errorRate: { maxRatio: 1.5 } }] },
      progressDeadline: '1m',
    },
  });
}

function problems(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    if (e instanceof PlanValidationError) return e.problems.map((p) => `${p.path}: ${p.message}`);
    throw e;
  }
  return [];
}

const STEPS = [
  { setSlice: { matches: [BETA] } },
  { analyze: { min: '10s' } },
  { setSlice: { users: USERS } },
  { analyze: { min: '10s' } },
  { setSlice: { users: { percent: 25 } } },
  { setWeight: 50, sticky: true },
  { analyze: { min: '10s' } },
];

describe('gray strategy', () => {
  it('moves slice by slice, each setSlice keeping the matches and user id it does not change, then weights', () => {
    const p = plan({ steps: STEPS });
    const seen: Traffic[] = [];
    const result = simulate(p, initialRecord(p), {
      observe: (t) => {
        const last = seen[seen.length - 1];
        if (!last || JSON.stringify(last) !== JSON.stringify(t.traffic)) seen.push(t.traffic);
      },
    });
    expect(result.record.phase).toBe('Succeeded');
    const described = seen.map((t) => [
      t.weight,
      t.matches.map((m) => `${m.on} ${m.name} ${m.type}`),
      t.sticky?.cookie,
    ]);
    expect(described).toEqual([
      [0, [], undefined],
      [0, ['header x-beta Exact'], undefined],
      [0, ['header x-beta Exact', 'header x-user-id RegularExpression'], undefined],
      [0, ['header x-beta Exact', 'header x-user-id RegularExpression'], undefined],
      [50, ['header x-beta Exact', 'header x-user-id RegularExpression'], 'ramp-sticky'],
      [100, [], undefined],
      [0, [], undefined],
    ]);
    // The sticky cookie holds the new revision, so one left from this rollout pins no one to a later one.
    expect(seen[4].sticky?.value).toBe('c1');
    // The user slice widened from 5% to 25%: a different pattern on the same header.
    const users = (t: Traffic) => t.matches.find((m) => m.name === 'x-user-id')?.value;
    expect(users(seen[2])).not.toEqual(users(seen[3]));
    const stepped = result.events.filter((e) => e.type === 'WeightChanged').map((e) => e.message);
    expect(stepped.some((m) => m.includes('5% of users by header x-user-id (uuid)'))).toBe(true);
    expect(stepped.some((m) => m.includes('25% of users by header x-user-id (uuid)'))).toBe(true);
  });

  it('gives the new revision pods for its share of users, and one pod for a slice of matches alone', () => {
    const p = plan({ steps: STEPS }, { replicas: 40 });
    const pods: number[] = [];
    simulate(p, initialRecord(p), {
      observe: (t) => {
        const n = t.replicaSets.get('c1')?.spec ?? 0;
        if (t.record.phase === 'Progressing' && pods[pods.length - 1] !== n) pods.push(n);
      },
    });
    expect(pods.slice(0, 4)).toEqual([1, 2, 10, 20]);
  });

  it('rolls back a version the slice shows bad: all traffic to stable, no matches, no sticky cookie', () => {
    const p = plan({ steps: STEPS });
    const result = simulate(p, initialRecord(p), {
      analysis: (now) => (now > 15_000 ? 'fail' : 'continue'),
    });
    expect(result.record.phase).toBe('RolledBack');
    expect(bindStrategy(compilePlan(p)).traffic(result.record)).toEqual({ weight: 0, matches: [] });
  });

  it('shows the slice as people read it, not as a regular expression', () => {
    const p = plan({ steps: STEPS });
    const view = bindStrategy(compilePlan(p)).describe(undefined);
    expect(view.strategy).toBe('gray');
    expect(view.steps.map((s) => s.description)).toEqual([
      'slice: header x-beta=1',
      'analyze (min 10s)',
      'slice: header x-beta=1 + 5% of users by header x-user-id (uuid)',
      'analyze (min 10s)',
      'slice: header x-beta=1 + 25% of users by header x-user-id (uuid)',
      'setWeight 50 (sticky)',
      'analyze (min 10s)',
    ]);
  });

  describe('refuses, naming the field', () => {
    const nginxLike = { nginxIngress: { ingress: 'checkout' } };

    it.each([
      [
        'an invalid regular expression',
        { steps: [{ setSlice: { matches: [{ header: { name: 'x-beta', regex: '(' } }] } }] },
        /^spec\.strategy\.gray\.steps\[0\]\.setSlice\.matches\[0\]\.header\.regex: not a valid regular expression/,
      ],
      [
        'a lookahead (not RE2)',
        { steps: [{ setSlice: { matches: [{ header: { name: 'x-beta', regex: '(?=a)a' } }] } }] },
        /^spec\.strategy\.gray\.steps\[0\]\.setSlice\.matches\[0\]\.header\.regex: lookahead/,
      ],
      [
        'a percent over 100',
        { steps: [{ setSlice: { users: { ...USERS, percent: 101 } } }] },
        /^spec\.strategy\.gray\.steps\[0\]\.setSlice\.users\.percent: expected a percentage 0–100/,
      ],
      [
        'a decreasing user percent',
        { steps: [{ setSlice: { users: { ...USERS, percent: 10 } } }, { setSlice: { users: { percent: 5 } } }] },
        /^spec\.strategy\.gray\.steps\[1\]\.setSlice\.users\.percent: expected at least 10/,
      ],
      [
        'users without idFormat',
        { steps: [{ setSlice: { users: { percent: 5, header: 'x-user-id' } } }] },
        /^spec\.strategy\.gray\.steps\[0\]\.setSlice\.users\.idFormat: expected idFormat/,
      ],
      [
        'users without a header or cookie',
        { steps: [{ setSlice: { users: { percent: 5, idFormat: 'uuid' } } }] },
        /^spec\.strategy\.gray\.steps\[0\]\.setSlice\.users: expected header or cookie/,
      ],
      [
        'a user id that changes between steps',
        {
          steps: [
            { setSlice: { users: USERS } },
            { setSlice: { users: { percent: 10, header: 'x-account', idFormat: 'decimal' } } },
          ],
        },
        /^spec\.strategy\.gray\.steps\[1\]\.setSlice\.users: expected the same user id as steps\[0\]/,
      ],
      [
        'a match with two ways to compare',
        { steps: [{ setSlice: { matches: [{ header: { name: 'x', value: '1', regex: '1' } }] } }] },
        /^spec\.strategy\.gray\.steps\[0\]\.setSlice\.matches\[0\]\.header: expected exactly one of value, prefix, regex/,
      ],
      [
        'a router that cannot match requests',
        { router: { replicaRatio: {} }, steps: [{ setWeight: 10 }] },
        /^spec\.strategy\.gray\.router: gray release needs a router that matches requests/,
      ],
    ])('%s', (_what, gray, expected) => {
      const { router, ...rest } = gray as { router?: Record<string, unknown> };
      const found = problems(() => plan({ ...rest }, { router }));
      expect(found.some((m) => expected.test(m))).toBe(true);
    });

    it('a cookie value match or a query match on a router without them', () => {
      const found = problems(() =>
        plan(
          {
            steps: [
              {
                setSlice: {
                  matches: [{ cookie: { name: 'beta', value: 'yes' } }, { query: { name: 'b', value: '1' } }],
                },
              },
            ],
          },
          { router: nginxLike },
        ),
      );
      expect(found).toEqual([
        expect.stringMatching(/^spec\.strategy\.gray\.steps\[0\]\.setSlice\.matches\[0\]\.cookie: .*"always"/),
        expect.stringMatching(/^spec\.strategy\.gray\.steps\[0\]\.setSlice\.matches\[1\]\.query: .*query parameter/),
      ]);
    });
  });
});
