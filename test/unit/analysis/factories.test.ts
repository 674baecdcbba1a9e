/** The provider and judge factories: what they build, and what they refuse. */
import { PlanValidationError, UnknownImplementationError } from '../../../src/errors';
import { PrometheusProvider } from '../../../src/analysis/providers/prometheus/client';
import { prometheusAt, Providers, providersConfigSchema } from '../../../src/analysis/providers/registry';
import { judgeFor } from '../../../src/analysis/judges/factory';
import { ThresholdJudge } from '../../../src/analysis/judges/threshold';
import { metricSchema } from '../../../src/plan/schema';

describe("the operator's metric providers", () => {
  it('builds a provider by the name a plan gives, or the default (the first, or the one named default)', () => {
    const providers = new Providers({
      providers: [
        { name: 'main', prometheus: { address: 'http://prom:9090', timeout: '2s' } },
        { name: 'long-term', prometheus: { address: 'http://thanos:9090' } },
      ],
    });
    const main = providers.get('main', 'shop');
    expect(main).toBeInstanceOf(PrometheusProvider);
    expect(main.kind).toBe('prometheus');
    expect((main as PrometheusProvider).address).toBe('http://prom:9090');
    expect((providers.get(undefined, 'shop') as PrometheusProvider).address).toBe('http://prom:9090');
    expect(providers.get('main', 'shop')).toBe(main);
    const other = new Providers({
      ...{
        providers: [
          { name: 'a', prometheus: { address: 'http://a' } },
          { name: 'b', prometheus: { address: 'http://b' } },
        ],
      },
      default: 'b',
    });
    expect((other.get(undefined, 'shop') as PrometheusProvider).address).toBe('http://b');
    expect(
      (new Providers(prometheusAt('http://default:9090')).get(undefined, 'shop') as PrometheusProvider).address,
    ).toBe('http://default:9090');
  });

  it('refuses a provider that is not configured, naming the plan field and what is', () => {
    expect(() => new Providers(prometheusAt('http://p')).get('thanos', 'shop')).toThrow(PlanValidationError);
    expect(() => new Providers(prometheusAt('http://p')).get('thanos', 'shop')).toThrow(
      'no metric provider named "thanos" is available to namespace shop; available: prometheus',
    );
    expect(() => new Providers(undefined).get(undefined, 'shop')).toThrow(/no metric provider is configured/);
  });

  it('offers a provider only to the namespaces the operator opened it to', () => {
    const providers = new Providers({
      providers: [
        { name: 'shared', prometheus: { address: 'http://shared:9090' } },
        { name: 'team-b-prom', namespaces: ['team-b'], prometheus: { address: 'http://team-b:9090' } },
      ],
    });
    expect((providers.get('team-b-prom', 'team-b') as PrometheusProvider).address).toBe('http://team-b:9090');
    expect(() => providers.get('team-b-prom', 'team-a')).toThrow(
      'no metric provider named "team-b-prom" is available to namespace team-a; available: shared',
    );
    expect(providers.namesFor('team-a')).toEqual(['shared']);
    const only = new Providers({
      providers: [{ name: 'b', namespaces: ['team-b'], prometheus: { address: 'http://b' } }],
    });
    expect(() => only.get(undefined, 'team-a')).toThrow('no metric provider is available to namespace team-a');
  });

  it('refuses a configuration with an unknown kind, bad settings or a name twice, naming the field', () => {
    const problems = (v: unknown) =>
      providersConfigSchema.safeParse(v).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(problems({ providers: [{ name: 'dd', datadog: { apiKey: 'x' } }] })).toEqual([
      'providers.0.datadog: unknown metric provider kind; expected one of: prometheus',
    ]);
    expect(problems({ providers: [{ name: 'p', prometheus: { address: 'not a url' } }] })?.[0]).toMatch(
      /^providers\.0\.prometheus\.address: expected the Prometheus URL/,
    );
    expect(problems({ providers: [{ name: 'p', prometheus: { address: 'file:///etc/passwd' } }] })?.[0]).toMatch(
      /^providers\.0\.prometheus\.address: /,
    );
    expect(problems({ providers: [{ name: 'p', prometheus: { address: 'http://p', timeout: '5ms' } }] })?.[0]).toMatch(
      /^providers\.0\.prometheus\.timeout: /,
    );
    expect(
      problems({
        providers: [
          { name: 'p', prometheus: { address: 'http://p' } },
          { name: 'p', prometheus: { address: 'http://q' } },
        ],
      }),
    ).toEqual(['providers.1.name: "p" is named twice']);
    expect(problems({ providers: [{ name: 'p', prometheus: { address: 'http://p' } }], default: 'q' })).toEqual([
      'default: no provider is named "q"; named: p',
    ]);
  });
});

describe('judgeFor', () => {
  it('gives the threshold judge to query metrics, the sequential judge to built-ins by default', () => {
    expect(judgeFor(metricSchema.parse({ name: 'q', query: 'x', threshold: { max: 1 } }))).toBeInstanceOf(
      ThresholdJudge,
    );
    expect(judgeFor(metricSchema.parse({ name: 'e', errorRate: { maxRatio: 2 } })).kind).toBe('sequential');
    expect(judgeFor(metricSchema.parse({ name: 'e', errorRate: { maxRatio: 2, judge: 'threshold' } })).kind).toBe(
      'threshold',
    );
    expect(
      judgeFor(metricSchema.parse({ name: 'l', latency: { quantile: 0.99, maxRatio: 1.2, judge: 'threshold' } })).kind,
    ).toBe('threshold');
  });

  it('gives the sequential judge when a built-in metric names it', () => {
    expect(judgeFor(metricSchema.parse({ name: 'e', errorRate: { maxRatio: 2, judge: 'sequential' } })).kind).toBe(
      'sequential',
    );
  });

  it('refuses a judge name it does not know', () => {
    const m = {
      ...metricSchema.parse({ name: 'e', errorRate: { maxRatio: 2 } }),
      errorRate: { maxRatio: 2, judge: 'magic' },
    } as never;
    expect(() => judgeFor(m)).toThrow(UnknownImplementationError);
    expect(() => judgeFor(m)).toThrow('unknown judge "magic"; expected one of: sequential, threshold');
  });
});
