/**
 * scopeQuery: every vector selector of a query ends up with `namespace="<ns>"` as its one namespace
 * matcher, whatever shape the query has; what does not parse is refused with its line and column.
 * (The same shapes against the real Prometheus: test/integration/analysis/tenantIsolation.test.ts.)
 */
import fc from 'fast-check';
import { parser } from '@prometheus-io/lezer-promql';
import { scopeQuery, unquotePromString } from '../../../src/analysis/providers/prometheus/scope';

const NS = 'team-a';

function scoped(q: string): string {
  const r = scopeQuery(q, NS);
  if (!r.ok) throw new Error(`refused ${q}: ${r.reason}`);
  return r.query;
}

/** Every selector's namespace matchers in `q`, as [op, value] pairs, read back with the grammar. */
function namespaceMatchers(q: string): [string, string][][] {
  const out: [string, string][][] = [];
  parser.parse(q).iterate({
    enter: (n) => {
      if (n.name !== 'VectorSelector') return;
      const ms: [string, string][] = [];
      for (const m of n.node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? []) {
        const name = q.slice(m.getChild('LabelName')!.from, m.getChild('LabelName')!.to);
        const op = m.getChild('MatchOp')!;
        const v = m.getChild('StringLiteral')!;
        if (name === 'namespace') ms.push([q.slice(op.from, op.to), unquotePromString(q.slice(v.from, v.to))]);
      }
      for (const m of n.node.getChild('LabelMatchers')?.getChildren('QuotedLabelMatcher') ?? []) {
        const l = m.getChild('QuotedLabelName')!.getChild('StringLiteral')!;
        if (unquotePromString(q.slice(l.from, l.to)) === 'namespace') ms.push(['quoted', '?']);
      }
      out.push(ms);
    },
  });
  return out;
}

describe('scopeQuery', () => {
  it.each([
    ['up', 'up{namespace="team-a"}'],
    ['{__name__=~".+"}', '{__name__=~".+", namespace="team-a"}'],
    ['up{namespace="team-b"}', 'up{namespace="team-a"}'],
    ['up{namespace=~"team-a|team-b", job="x"}', 'up{job="x", namespace="team-a"}'],
    ['up{namespace!="team-a"}', 'up{namespace="team-a"}'],
    ["up{'namespace'='team-b'}", 'up{namespace="team-a"}'],
    ['up{"name\\x73pace"="team-b"}', 'up{namespace="team-a"}'],
    ['{"up", namespace="team-b"}', '{"up", namespace="team-a"}'],
    ['a or on() b', 'a{namespace="team-a"} or on() b{namespace="team-a"}'],
    ['max_over_time(up[5m:1m] offset 1h)', 'max_over_time(up{namespace="team-a"}[5m:1m] offset 1h)'],
    ['rate(x[5m] @ 100)', 'rate(x{namespace="team-a"}[5m] @ 100)'],
    ['up # a comment\n+ 1', 'up{namespace="team-a"}  \n+ 1'],
    ['{}', '{namespace="team-a"}'],
    ['vector(1)', 'vector(1)'],
    ['sum by (namespace) (x)', 'sum by (namespace) (x{namespace="team-a"})'],
  ])('%s → %s', (q, want) => {
    expect(scoped(q)).toBe(want);
  });

  it('scopes every selector of queries that try to read another namespace', () => {
    const attacks = [
      'sum(http_requests_total)',
      'http_requests_total{namespace="team-b"}',
      'http_requests_total{namespace=~".*"}',
      'http_requests_total{namespace=~"team-.*", namespace!="team-a"}',
      '{__name__="http_requests_total", namespace="team-b"}',
      '{__name__=~".+"}',
      'count({__name__=~".+"})',
      'absent(http_requests_total{namespace="team-b"})',
      'absent_over_time(http_requests_total{namespace="team-b"}[1h])',
      'label_replace(http_requests_total{namespace="team-b"}, "namespace", "team-a", "", "")',
      'label_join(http_requests_total, "namespace", ",", "pod")',
      'count_values("namespace", http_requests_total)',
      'http_requests_total{namespace="team-a"} or http_requests_total{namespace="team-b"}',
      'http_requests_total{namespace="team-a"} + on() group_left sum(http_requests_total{namespace="team-b"})',
      'max_over_time(sum(http_requests_total{namespace="team-b"})[10m:1m])',
      'http_requests_total{namespace="team-b"} offset 5m',
      'http_requests_total{namespace="team-b"} @ end()',
      'sum without (namespace) (http_requests_total)',
      'topk(1, http_requests_total)',
      'sort_desc(http_requests_total)',
      'scalar(sum(http_requests_total{namespace="team-b"}))',
      'vector(time()) + on() group_left sum(up)',
      'info(http_requests_total, {namespace="team-b"})',
      'http_requests_total{\'namespace\'="team-b"}',
      'http_requests_total{"namespace"="team-b"}',
      '{"http_requests_total", "namespace"="team-b"}',
      'http_requests_total{namespace="team-b"}[5m:] offset -1m',
      'histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))',
      'quantile_over_time(0.5, http_requests_total{namespace="team-b"}[10m])',
      'http_requests_total unless on(namespace) http_requests_total{namespace="team-b"}',
      '(((http_requests_total{namespace="team-b"})))',
      '-http_requests_total{namespace="team-b"}',
      'http_requests_total{namespace="team-b"} > bool 0',
    ];
    for (const q of attacks) {
      const s = scoped(q);
      for (const ms of namespaceMatchers(s)) expect(ms).toEqual([['=', NS]]);
    }
  });

  it('refuses what does not parse, with the line and column', () => {
    const r = scopeQuery('sum(rate(x[5m])', NS);
    expect(r).toMatchObject({ ok: false, position: { line: 1 } });
    const multi = scopeQuery('sum(\n  rate(x[5m]) +\n)', NS);
    expect(multi).toMatchObject({ ok: false, position: { line: 3, column: 1 } });
    if (!multi.ok) expect(multi.reason).toMatch(/^not valid PromQL at line 3, column 1/);
    for (const q of ['foo(bar)', 'bool', 'up{', 'up}', '', 'up{a="\\q"}'])
      expect(scopeQuery(q, NS)).toMatchObject({ ok: false });
  });

  it('refuses a query longer than the limit', () => {
    expect(scopeQuery(`up${' '.repeat(20_000)}`, NS)).toMatchObject({ ok: false, reason: /longer than/ });
  });

  it('leaves no unscoped selector for generated queries (fast-check, seeded)', () => {
    const label = fc.constantFrom('namespace', 'pod', 'job', '"namespace"', "'namespace'", '"name\\x73pace"');
    const op = fc.constantFrom('=', '!=', '=~', '!~');
    const value = fc.constantFrom('"team-b"', '".*"', "'team-a'", '`x`', '""');
    const matcher = fc.tuple(label, op, value).map(([l, o, v]) => `${l}${o}${v}`);
    const selector = fc
      .tuple(fc.constantFrom('', 'up', 'http_requests_total', 'a:b'), fc.array(matcher, { maxLength: 4 }))
      .map(([m, ms]) => (ms.length || !m ? `${m}{${ms.join(', ')}}` : m));
    const expr: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
      e: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        selector,
        tie('e').map((e) => `sum(${e})`),
        tie('e').map((e) => `(${e})`),
        fc
          .tuple(tie('e'), tie('e'), fc.constantFrom('+', 'or', 'and on()', 'unless ignoring(x)', '* on(a) group_left'))
          .map(([a, b, o]) => `${a} ${o} ${b}`),
        selector.map((s) => `rate(${s}[5m])`),
        tie('e').map((e) => `max_over_time((${e})[10m:1m])`),
        selector.map((s) => `${s} offset 5m`),
        tie('e').map((e) => `label_replace(${e}, "namespace", "x", "", "")`),
        tie('e').map((e) => `absent(${e})`),
      ),
    })).e;
    fc.assert(
      fc.property(expr, (q) => {
        const r = scopeQuery(q, NS);
        if (!r.ok) return; // a generated query the grammar refuses (e.g. `{}` with no metric) is refused whole
        for (const ms of namespaceMatchers(r.query)) expect(ms).toEqual([['=', NS]]);
      }),
      { seed: 17, numRuns: 2000 },
    );
  });
});

describe('unquotePromString', () => {
  it('reads Go escapes in double and single quotes, and raw strings as they are', () => {
    expect(unquotePromString('"a\\x41\\u00e9\\101\\n\\""')).toBe('aAéA\n"');
    expect(unquotePromString("'it\\'s'")).toBe("it's");
    expect(unquotePromString('`a\\x`')).toBe('a\\x');
    expect(() => unquotePromString('"\\q"')).toThrow();
  });
});
