/**
 * The Prometheus provider's judge-v2 methods (counterSamples, counterHistory, queryRange) send only
 * queries confined to the target's namespace, like query() does: what goes on the wire (postForm is
 * replaced by a recorder here) is scopeQuery's output, even when the built-in query builder is made to
 * produce an unscoped query; a query that cannot be scoped is refused without a request; and what the
 * server answered never reaches the caller's reason (only the log). Against the real Prometheus:
 * test/integration/security/tenantIsolation.test.ts.
 */
import { parser } from '@prometheus-io/lezer-promql';
import type { Logger } from 'pino';
import { postForm, type PostResult } from '../../../src/analysis/providers/prometheus/httpPost';
import { PrometheusProvider } from '../../../src/analysis/providers/prometheus/client';
import * as promql from '../../../src/analysis/providers/prometheus/promql';
import { scopeQuery, unquotePromString } from '../../../src/analysis/providers/prometheus/scope';

jest.mock('../../../src/analysis/providers/prometheus/httpPost');

const NS = 'team-a';
const TARGET = { namespace: NS, app: 'web', canaryRevision: 'aaaa', stableRevision: 'cccc' };

interface Sent {
  path: string;
  form: URLSearchParams;
}

let sent: Sent[];
let answer: (s: Sent) => PostResult;

const success = (resultType: string, result: unknown): PostResult => ({
  kind: 'answer',
  status: 200,
  contentType: 'application/json',
  body: JSON.stringify({ status: 'success', data: { resultType, result } }),
});

beforeEach(() => {
  sent = [];
  answer = (s) => (s.path.endsWith('query_range') ? success('matrix', []) : success('vector', []));
  jest.mocked(postForm).mockImplementation(async (url, form) => {
    const s = { path: url.pathname, form };
    sent.push(s);
    return answer(s);
  });
});

afterEach(() => {
  jest.restoreAllMocks();
});

const provider = (logger?: Logger) =>
  new PrometheusProvider({ address: 'http://prometheus.test:9090', timeoutMs: 1000, logger });

/** Every vector selector's namespace matchers, as `op value`, read back with the grammar. */
function namespaceMatchers(q: string): string[][] {
  const out: string[][] = [];
  parser.parse(q).iterate({
    enter: (n) => {
      if (n.name !== 'VectorSelector') return;
      const ms: string[] = [];
      for (const m of n.node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? []) {
        const name = m.getChild('LabelName')!;
        if (q.slice(name.from, name.to) !== 'namespace') continue;
        const op = m.getChild('MatchOp')!;
        const v = m.getChild('StringLiteral')!;
        ms.push(`${q.slice(op.from, op.to)} ${unquotePromString(q.slice(v.from, v.to))}`);
      }
      if (n.node.getChild('LabelMatchers')?.getChildren('QuotedLabelMatcher').length) ms.push('quoted');
      out.push(ms);
    },
  });
  return out;
}

/** The query was scoped: it is scopeQuery's output, and every selector has `namespace="team-a"` alone. */
function expectScoped(q: string | null, original?: string): void {
  expect(q).not.toBeNull();
  const matchers = namespaceMatchers(q!);
  expect(matchers.length).toBeGreaterThan(0);
  for (const m of matchers) expect(m).toEqual([`= ${NS}`]);
  if (original !== undefined) {
    const want = scopeQuery(original, NS);
    expect(want.ok && want.query).toBe(q);
  }
}

describe('PrometheusProvider: judge v2 queries are confined to the target namespace', () => {
  it.each(['requests', 'latency'] as const)('counterSamples (%s) sends the scoped range selector', async (c) => {
    jest.mocked(postForm).mockClear();
    answer = () =>
      success('matrix', [
        {
          metric: { __name__: 'http_requests_total', namespace: NS, pod: 'web-aaaa-1', code: '200' },
          values: [
            [100, '3'],
            [115, '5'],
          ],
        },
      ]);
    const r = await provider().counterSamples(c, TARGET, { at: new Date(120_000), sinceMs: 60_000 });
    expect(sent).toHaveLength(1);
    expect(sent[0].path).toBe('/api/v1/query');
    expect(sent[0].form.get('time')).toBe('120.000');
    expectScoped(sent[0].form.get('query'), promql.samplesQuery(c, TARGET, 60_000));
    expect(r).toEqual({
      kind: 'ok',
      samples: [
        {
          labels: { __name__: 'http_requests_total', namespace: NS, pod: 'web-aaaa-1', code: '200' },
          value: 3,
          timestamp: 100_000,
        },
        {
          labels: { __name__: 'http_requests_total', namespace: NS, pod: 'web-aaaa-1', code: '200' },
          value: 5,
          timestamp: 115_000,
        },
      ],
      query: promql.samplesQuery(c, TARGET, 60_000),
    });
  });

  it.each(['requests', 'latency'] as const)('counterHistory (%s) scopes its instant and its range query', async (c) => {
    const r = await provider().counterHistory(c, TARGET, {
      at: new Date(3_600_000),
      lookbackMs: 3_600_000,
      binMs: 60_000,
    });
    expect(r).toEqual({ kind: 'ok', pods: [], bins: [] });
    expect(sent.map((s) => s.path)).toEqual(['/api/v1/query', '/api/v1/query_range']);
    const stable = { ...TARGET, stableRevision: 'cccc' };
    expectScoped(sent[0].form.get('query'), promql.historyPodsQuery(c, stable, 3_600_000));
    expectScoped(sent[1].form.get('query'), promql.historyBinsQuery(c, stable, 60_000));
    expect(sent[1].form.get('start')).toBe('60.000');
    expect(sent[1].form.get('end')).toBe('3600.000');
    expect(sent[1].form.get('step')).toBe('60');
  });

  it.each([
    'http_requests_total{namespace="team-b"}',
    'sum by (namespace) ({__name__=~".+"})',
    'max_over_time(http_requests_total{namespace=~".*"}[5m])',
    'a{namespace!="team-a"} or on() b',
  ])('queryRange sends %s scoped', async (q) => {
    await provider().queryRange(q, { namespace: NS, start: 0, end: 60_000, stepMs: 15_000 });
    expect(sent).toHaveLength(1);
    expect(sent[0].path).toBe('/api/v1/query_range');
    expectScoped(sent[0].form.get('query'), q);
  });

  it('scopes what the built-in builders produce even if they named no namespace (or another)', async () => {
    jest.spyOn(promql, 'samplesQuery').mockReturnValue('{__name__=~"http_.+"}[5m]');
    jest.spyOn(promql, 'historyPodsQuery').mockReturnValue('http_requests_total{namespace="team-b"}');
    jest.spyOn(promql, 'historyBinsQuery').mockReturnValue('sum(http_requests_total{namespace=~".+"})');
    const p = provider();
    await p.counterSamples('requests', TARGET, { at: new Date(120_000), sinceMs: 300_000 });
    await p.counterHistory('requests', TARGET, { at: new Date(3_600_000), lookbackMs: 3_600_000, binMs: 60_000 });
    expect(sent).toHaveLength(3);
    expectScoped(sent[0].form.get('query'), '{__name__=~"http_.+"}[5m]');
    expectScoped(sent[1].form.get('query'), 'http_requests_total{namespace="team-b"}');
    expectScoped(sent[2].form.get('query'), 'sum(http_requests_total{namespace=~".+"})');
  });

  it('scopes to the target namespace, not to one the query names', async () => {
    const other = { ...TARGET, namespace: 'team-b' };
    await provider().counterSamples('requests', other, { at: new Date(120_000), sinceMs: 60_000 });
    expect(namespaceMatchers(sent[0].form.get('query')!)).toEqual([['= team-b']]);
  });

  it('refuses a query it cannot scope without sending anything', async () => {
    jest.spyOn(promql, 'samplesQuery').mockReturnValue('http_requests_total{');
    const r = await provider().counterSamples('requests', TARGET, { at: new Date(120_000), sinceMs: 60_000 });
    expect(r.kind).toBe('invalidQuery');
    const range = await provider().queryRange('sum(', { namespace: NS, start: 0, end: 60_000, stepMs: 15_000 });
    expect(range.kind).toBe('invalidQuery');
    expect(sent).toHaveLength(0);
  });

  it("gives callers fixed reasons; the server's words go to the log only", async () => {
    const secret = 'http_requests_total{namespace="team-b",pod="web-bbbb-1"} 900001 at 10.0.0.7';
    const warn = jest.fn();
    const logger = { warn } as unknown as Logger;
    const p = provider(logger);
    answer = (s) =>
      s.path.endsWith('query_range')
        ? {
            kind: 'answer',
            status: 422,
            contentType: 'application/json',
            body: JSON.stringify({ status: 'error', errorType: 'execution', error: secret }),
          }
        : success('vector', []);
    const history = await p.counterHistory('requests', TARGET, {
      at: new Date(3_600_000),
      lookbackMs: 3_600_000,
      binMs: 60_000,
    });
    expect(history).toEqual({
      kind: 'invalidQuery',
      reason: 'Prometheus could not evaluate the query (execution error)',
    });

    answer = () => ({ kind: 'answer', status: 502, contentType: 'text/html', body: `<h1>${secret}</h1>` });
    const samples = await p.counterSamples('latency', TARGET, { at: new Date(120_000), sinceMs: 60_000 });
    expect(samples).toEqual({ kind: 'unavailable', reason: 'Prometheus answered HTTP 502 without its JSON' });

    answer = () => ({ kind: 'noAnswer', reason: 'the metric provider did not answer (ECONNREFUSED)', detail: secret });
    const range = await p.queryRange('up', { namespace: NS, start: 0, end: 60_000, stepMs: 15_000 });
    expect(range).toEqual({ kind: 'unavailable', reason: 'the metric provider did not answer (ECONNREFUSED)' });

    for (const r of [history, samples, range]) expect(JSON.stringify(r)).not.toMatch(/team-b|bbbb|900001|10\.0\.0\.7/);
    expect(warn).toHaveBeenCalledTimes(3);
    for (const [fields] of warn.mock.calls) expect(String((fields as { detail: string }).detail)).toContain('900001');
  });
});
