/**
 * What the judge says early at very low traffic: at 5 requests/min, ten minutes in, the verdict's own
 * estimate of how long a pass of identical versions still needs (the outlook the verdict states), set
 * beside how long it actually took (undecided runs count as ∞). Medians over seeded runs.
 */
import { createRng, seedFromString } from '@ramp/sandbox/util/random';
import { ErrorRateStream } from '../../src/analysis/judges/sequentialErrors';
import { passOutlook } from '../../src/analysis/judges/sequentialEvidence';
import { sequentialSettings } from '../../src/analysis/judges/sequentialSettings';
import { metricSchema } from '../../src/plan/schema';
import { Cluster } from './cluster';
import { ALPHA, HORIZON_MIN, SCENARIOS } from './scenarios';
import type { Outlook } from './results';

const AT_MINUTE = 10;
/** Long enough to see the passes the outlook predicts, far past the benchmark's horizon. */
const WATCH_MIN = 10 * 24 * 60;

function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
}

export function lowTrafficOutlook(runs: number): Outlook {
  const s = SCENARIOS.find((x) => x.name === 'rpm5-identical');
  if (!s) return { predictedMinutes: null, actualMinutes: null };
  const metric = metricSchema.parse({ name: 'errors', errorRate: { maxRatio: s.metric.maxRatio } });
  const predicted: number[] = [];
  const actual: number[] = [];
  for (let run = 0; run < runs; run++) {
    const cluster = new Cluster(s, createRng(seedFromString(`outlook:${run}`)), WATCH_MIN);
    const stream = new ErrorRateStream(sequentialSettings(metric, ALPHA), false);
    stream.addBaseline(cluster.baseline());
    let said: number | undefined;
    let passedAt = Infinity;
    for (;;) {
      const w = cluster.next();
      if (w.minute > WATCH_MIN) break;
      stream.add(w.canary, w.stable, { pods: w.pods, shifted: w.shifted, from: w.from, to: w.to });
      if (said === undefined && w.minute >= AT_MINUTE) {
        const perMinute = stream.test.exposure / w.minute;
        said = w.minute + passOutlook(stream).requestsLeft / perMinute;
      }
      if (stream.decision !== 'continue') {
        passedAt = stream.decision === 'pass' ? w.minute : Infinity;
        break;
      }
    }
    predicted.push(said ?? Infinity);
    actual.push(passedAt);
  }
  void HORIZON_MIN;
  return { predictedMinutes: median(predicted), actualMinutes: median(actual) };
}
