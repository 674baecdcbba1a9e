/** The provider and judge factories: what they build, and what they refuse. */
import { createProvider } from '../../../src/analysis/providers/factory';
import { PrometheusProvider } from '../../../src/analysis/providers/prometheus';
import { judgeFor } from '../../../src/analysis/judges/factory';
import { ThresholdJudge } from '../../../src/analysis/judges/threshold';
import { metricSchema } from '../../../src/plan/schema';
import { UnknownImplementationError } from '../../../src/errors/unknownImplementationError';
import { PlanValidationError } from '../../../src/errors/planValidationError';

describe('createProvider', () => {
  it('builds a Prometheus provider from the plan, else from the worker default', () => {
    const p = createProvider({ prometheus: { address: 'http://prom:9090', timeout: '2s' } });
    expect(p).toBeInstanceOf(PrometheusProvider);
    expect(p.kind).toBe('prometheus');
    expect((p as PrometheusProvider).address).toBe('http://prom:9090');
    expect(
      (createProvider(undefined, { prometheus: { address: 'http://default:9090' } }) as PrometheusProvider).address,
    ).toBe('http://default:9090');
    expect(
      (
        createProvider(
          { prometheus: undefined },
          { prometheus: { address: 'http://default:9090' } },
        ) as PrometheusProvider
      ).address,
    ).toBe('http://default:9090');
  });

  it('refuses an unknown kind with UnknownImplementationError', () => {
    expect(() => createProvider({ datadog: { apiKey: 'x' } })).toThrow(UnknownImplementationError);
    expect(() => createProvider({ datadog: {} })).toThrow(
      'unknown metric provider "datadog"; expected one of: prometheus',
    );
  });

  it('refuses bad settings and no provider at all, naming the field', () => {
    expect(() => createProvider({ prometheus: { address: 'not a url' } })).toThrow(
      /spec\.analysis\.prometheus\.address/,
    );
    expect(() => createProvider({ prometheus: { address: 'http://p', timeout: '5ms' } })).toThrow(PlanValidationError);
    expect(() => createProvider({})).toThrow(/the plan names none and the worker has no default/);
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
