import fc from 'fast-check';
import { Balancer, SmoothWeightedRoundRobin } from '../../../src/gateway/backends';
import type { Endpoint, RouteDecision, ServiceBackend } from '../../../src/gateway/routeTable';

function counts(weights: number[], picks: number, skip = 0): number[] {
  const wrr = new SmoothWeightedRoundRobin(weights);
  for (let i = 0; i < skip; i++) wrr.next();
  const out = weights.map(() => 0);
  for (let i = 0; i < picks; i++) out[wrr.next()]++;
  return out;
}

describe('SmoothWeightedRoundRobin', () => {
  it('splits 90/10 exactly over any 100 consecutive picks, spread out rather than in a run', () => {
    for (let skip = 0; skip < 100; skip += 7) expect(counts([90, 10], 100, skip)).toEqual([90, 10]);
    const wrr = new SmoothWeightedRoundRobin([90, 10]);
    const seq = Array.from({ length: 20 }, () => wrr.next());
    expect(seq.filter((i) => i === 1)).toHaveLength(2);
    expect(seq.indexOf(1)).toBeLessThan(10);
  });

  it('property: each backend gets exactly its weight in every window of sum(weights) picks; weight 0 gets nothing', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 200 }),
        (weights, skip) => {
          const total = weights.reduce((a, b) => a + b, 0);
          fc.pre(total > 0);
          expect(counts(weights, total, skip)).toEqual(weights);
        },
      ),
      { seed: 42, numRuns: 300 },
    );
  });

  it('answers -1 when every weight is 0 or there are none', () => {
    expect(new SmoothWeightedRoundRobin([0, 0]).next()).toBe(-1);
    expect(new SmoothWeightedRoundRobin([]).next()).toBe(-1);
  });
});

function endpoints(n: number): Endpoint[] {
  return Array.from({ length: n }, (_, i) => ({
    address: `10.0.0.${i + 1}`,
    port: 80,
    podNamespace: 'ns',
    podName: `p${i}`,
    revision: 'r',
  }));
}

function backend(name: string, n: number): ServiceBackend {
  return { namespace: 'ns', name, port: 80, endpoints: endpoints(n) };
}

function rule(
  balanceKey: string,
  backends: { weight: number; b?: ServiceBackend }[],
): RouteDecision & { kind: 'rule' } {
  return {
    kind: 'rule',
    route: 'ns/r',
    ruleIndex: 0,
    balanceKey,
    backends: backends.map((x) => ({
      weight: x.weight,
      target: x.b ? { kind: 'service', backend: x.b } : { kind: 'invalid', reason: 'service ns/gone not found' },
    })),
  };
}

describe('Balancer', () => {
  it('round-robins over the endpoints of a Service', () => {
    const b = new Balancer();
    const picked = Array.from({ length: 6 }, () => {
      const p = b.pickEndpoint(backend('web', 3));
      return p.kind === 'endpoint' ? p.endpoint.podName : p.kind;
    });
    expect(picked).toEqual(['p0', 'p1', 'p2', 'p0', 'p1', 'p2']);
  });

  it('a Service without ready endpoints is reported as such (503), not as invalid', () => {
    expect(new Balancer().pick({ kind: 'service', backend: backend('web', 0) }).kind).toBe('noEndpoints');
  });

  it('gives an invalid backend its share as errors (500) and zero weights or no backends all errors', () => {
    const b = new Balancer();
    const d = rule('k', [{ weight: 3, b: backend('web', 1) }, { weight: 1 }]);
    const kinds = Array.from({ length: 8 }, () => b.pick(d).kind);
    expect(kinds.filter((k) => k === 'invalid')).toHaveLength(2);
    expect(b.pick(rule('zero', [{ weight: 0, b: backend('web', 1) }]))).toEqual({
      kind: 'invalid',
      reason: expect.stringContaining('weight 0'),
    });
    expect(b.pick(rule('none', []))).toEqual({ kind: 'invalid', reason: expect.stringContaining('no backendRefs') });
  });

  it('keeps a rule’s position across table rebuilds while its weights stay, and forgets it when they change', () => {
    const b = new Balancer();
    const d = (key: string): RouteDecision & { kind: 'rule' } =>
      rule(key, [
        { weight: 1, b: backend('a', 1) },
        { weight: 1, b: backend('b', 1) },
      ]);
    const name = (key: string): string => {
      const p = b.pick(d(key));
      return p.kind === 'endpoint' ? p.backend.name : p.kind;
    };
    expect(name('k1')).toBe('a');
    b.retain(new Set(['k1']));
    expect(name('k1')).toBe('b');
    b.retain(new Set(['k2']));
    expect(name('k1')).toBe('a');
  });
});
