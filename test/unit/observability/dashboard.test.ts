/**
 * The Grafana dashboard in dashboards/ reads only what Ramp exports: every query parses as PromQL and
 * every metric it names is registered by the worker, the API server or the per-rollout series.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { requestDurationHistogram } from '../../../src/api/httpMetrics';
import { registerRolloutMetrics } from '../../../src/api/rolloutMetrics';
import { EngineMetrics } from '../../../src/observability/metrics';

interface Panel {
  title: string;
  targets?: { expr: string }[];
}

const dashboard = JSON.parse(readFileSync(join(__dirname, '../../../dashboards/ramp-rollouts.json'), 'utf8')) as {
  panels: Panel[];
  templating: { list: { query?: string }[] };
};

/** What Grafana substitutes before Prometheus sees a query. */
const grafana = (expr: string) => expr.replaceAll('$__rate_interval', '1m');

function metricNames(expr: string): string[] {
  const tree = parser.parse(expr);
  const names: string[] = [];
  let error = false;
  tree.iterate({
    enter: (n) => {
      if (n.type.isError) error = true;
      if (n.name === 'VectorSelector') {
        const id = n.node.getChild('Identifier');
        if (id) names.push(expr.slice(id.from, id.to));
      }
    },
  });
  if (error) throw new Error(`does not parse: ${expr}`);
  return names;
}

function exported(): Set<string> {
  const engine = new EngineMetrics();
  requestDurationHistogram(engine.registry);
  registerRolloutMetrics(engine.registry, { listActiveIds: async () => [], get: async () => undefined });
  const names = new Set<string>();
  for (const m of engine.registry.getMetricsAsArray()) {
    names.add(m.name);
    if (m.constructor.name === 'Histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s);
    if (m.constructor.name === 'Counter' && !m.name.endsWith('_total')) names.add(`${m.name}_total`);
  }
  return names;
}

describe('the Grafana dashboard', () => {
  const queries = [
    ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => grafana(t.expr))),
    // label_values(metric{…}, label): the metric selector inside.
    ...dashboard.templating.list.flatMap((v) =>
      v.query?.startsWith('label_values(') ? [v.query.slice('label_values('.length, v.query.lastIndexOf(','))] : [],
    ),
  ];

  it('has panels with queries', () => {
    expect(dashboard.panels.length).toBeGreaterThanOrEqual(8);
    expect(queries.length).toBeGreaterThanOrEqual(15);
  });

  it('names only metrics Ramp exports, in queries that parse', () => {
    const known = exported();
    const unknown = queries.flatMap((q) =>
      metricNames(q)
        .filter((n) => !known.has(n))
        .map((n) => `${n} in ${q}`),
    );
    expect(unknown).toEqual([]);
    // Every query reads at least one metric: none is a constant.
    expect(queries.filter((q) => metricNames(q).length === 0)).toEqual([]);
  });

  it('would catch a misspelled metric', () => {
    const known = exported();
    expect(metricNames('sum(rate(ramp_reconciles_totl[1m]))').filter((n) => !known.has(n))).toEqual([
      'ramp_reconciles_totl',
    ]);
  });
});
