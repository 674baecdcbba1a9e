/**
 * Escaping checked by the real Prometheus (Go's unquoting, RE2): an escaped value reads back as
 * exactly itself, and an escaped regex matches exactly its literal.
 */
import fc from 'fast-check';
import { PrometheusProvider } from '../../../src/analysis/providers/prometheus/client';
import { escapeLabelValue, escapeRegex, revisionSelector } from '../../../src/analysis/providers/prometheus/promql';
import { nastyStrings, wellFormed } from '../../unit/analysis/promqlSyntax';
import { startPrometheusWithTarget, type PrometheusHarness } from './prometheusHarness';

jest.setTimeout(90_000);

describe('template escaping, as Prometheus reads it', () => {
  let h: PrometheusHarness;
  let p: PrometheusProvider;
  const strings = fc.sample(nastyStrings, { seed: 99, numRuns: 150 }).filter((s) => s.length > 0);

  beforeAll(async () => {
    h = await startPrometheusWithTarget('127.1.91.12', 'escaping-1', 1);
    p = new PrometheusProvider({ address: h.url, timeoutMs: 5000 });
  });
  afterAll(async () => {
    await h?.close();
  });

  /** A one-sample vector whose label `src` is `literal` (label_join's separator is pasted verbatim), then `matched="yes"` if `regex` matches it. */
  async function probe(literal: string, regex: string): Promise<Record<string, string>> {
    const q = `label_replace(label_join(vector(1), "src", "${escapeLabelValue(literal)}", "a", "b"), "matched", "yes", "src", "${escapeLabelValue(regex)}")`;
    const r = await p.query(q, { namespace: 'default' });
    if (r.kind !== 'ok') throw new Error(`${r.kind}: ${r.reason} for ${JSON.stringify(literal)}`);
    expect(r.samples).toHaveLength(1);
    return r.samples[0].labels;
  }

  it('reads every escaped value back exactly, and its escaped regex matches it and not a neighbour', async () => {
    for (const s of strings) {
      const exact = await probe(s, escapeRegex(s));
      expect(exact).toEqual({ src: wellFormed(s), matched: 'yes' });
      expect(await probe(`${s}x`, escapeRegex(s))).toEqual({ src: wellFormed(`${s}x`) });
      expect(await probe(`x${s}`, escapeRegex(s))).toEqual({ src: wellFormed(`x${s}`) });
    }
  });

  it('accepts any rendered revision selector as valid PromQL that selects nothing it should not', async () => {
    for (const s of strings.slice(0, 50)) {
      const q = `count(http_requests_total{${revisionSelector({ namespace: s, app: s, revision: s })}}) or vector(0)`;
      expect(await p.query(q, { namespace: 'default' })).toEqual({ kind: 'ok', samples: [{ labels: {}, value: 0 }] });
    }
    // The harness pod (namespace default, pod escaping-1) is found by the same construction.
    const found = await p.query(
      `count(http_requests_total{${revisionSelector({ namespace: 'default', app: 'escaping', revision: '1' }).replace('-.+', '')}})`,
      { namespace: 'default' },
    );
    expect(found).toEqual({ kind: 'ok', samples: [{ labels: {}, value: 1 }] });
  });
});
