/**
 * The sequential judge (DESIGN §5): an anytime-valid test of canary against stable for the built-in
 * errorRate and latency metrics. It replays every measurement so far through the streaming test
 * (sequentialTest.ts: O(1) per interval), so the verdict is a pure function of the history: a fail is
 * final, a pass holds while the whole history supports it, missing data now is inconclusive. Pure.
 */
import type { Judge, JudgeContext } from '../judge';
import type { Measurement, Verdict } from '../types';
import { ErrorRateStream } from './sequentialErrors';
import { LatencyStream } from './sequentialLatency';
import { errorEvidence, latencyEvidence, type Evidence } from './sequentialEvidence';
import { sequentialSettings } from './sequentialSettings';

const SUMMARY = { fail: 'failed', pass: 'passed', continue: 'not decided yet', inconclusive: 'inconclusive' } as const;

function missingReason(m: Measurement | undefined, kind: 'counts' | 'histogram'): string | undefined {
  if (m === undefined || m.kind === kind) return undefined;
  return m.kind === 'missing' ? m.reason : `expected a ${kind} measurement, got ${m.kind}`;
}

/** Replays counts through the error stream. */
function judgeErrors(ms: readonly Measurement[], ctx: JudgeContext): { decision: 'fail' | 'pass' | 'continue'; evidence: Evidence; reason: string } {
  const stream = new ErrorRateStream(sequentialSettings(ctx.metric, ctx.alpha));
  for (const m of ms) if (m.kind === 'counts') stream.add(m.canary, m.stable);
  return { decision: stream.decision, ...errorEvidence(stream, stream.decision) };
}

/** Replays histograms through the latency stream. */
function judgeLatency(ms: readonly Measurement[], ctx: JudgeContext, quantile: number): { decision: 'fail' | 'pass' | 'continue'; evidence: Evidence; reason: string } {
  const stream = new LatencyStream({ ...sequentialSettings(ctx.metric, ctx.alpha), quantile });
  for (const m of ms) if (m.kind === 'histogram') stream.add(m.canary, m.stable);
  return { decision: stream.decision, ...latencyEvidence(stream, stream.decision) };
}

/** Judges errorRate and latency metrics with an anytime-valid sequential test; refuses query metrics. */
export class SequentialJudge implements Judge {
  readonly kind = 'sequential';

  judge(measurements: readonly Measurement[], ctx: JudgeContext): Verdict {
    const metric = ctx.metric;
    if (!metric.errorRate && !metric.latency) {
      return { metric: metric.name, decision: 'inconclusive', reason: 'the sequential judge compares canary with stable: it judges errorRate and latency metrics, not queries', evidence: {} };
    }
    const kind = metric.errorRate ? 'counts' : 'histogram';
    const r = metric.latency ? judgeLatency(measurements, ctx, metric.latency.quantile) : judgeErrors(measurements, ctx);
    const evidence = { ...r.evidence, measurements: measurements.length };
    if (r.decision === 'fail') return { metric: metric.name, decision: 'fail', reason: `${SUMMARY.fail}: ${r.reason}`, evidence };
    const missing = missingReason(measurements[measurements.length - 1], kind);
    if (missing !== undefined) return { metric: metric.name, decision: 'inconclusive', reason: `${SUMMARY.inconclusive}: ${missing}`, evidence: { ...evidence, missing } };
    if (measurements.length === 0) return { metric: metric.name, decision: 'continue', reason: 'no measurements yet', evidence };
    return { metric: metric.name, decision: r.decision, reason: `${SUMMARY[r.decision]}: ${r.reason}`, evidence };
  }
}
