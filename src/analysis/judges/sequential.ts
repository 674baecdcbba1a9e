/**
 * The sequential judge (DESIGN §5): an anytime-valid test of canary against stable for the built-in
 * errorRate and latency metrics. It replays every measurement so far through the streaming test
 * (sequentialTest.ts: O(1) per interval), so the verdict is a pure function of the history: a fail is
 * final, a pass holds while the whole history supports it, missing data now is inconclusive. Pure.
 *
 * The engine keeps a bounded number of measurements; what it drops is folded into a carry (the streams'
 * state), so the test goes on over the whole analysis however long it runs: a window sliding over the
 * latest measurements would no longer be a martingale, and the false-rollback guarantee would wear off.
 */
import { z } from 'zod';
import type { Judge, JudgeContext } from '../judge';
import type { Measurement, Verdict } from '../types';
import { ErrorRateStream, errorStreamStateSchema } from './sequentialErrors';
import { LatencyStream, latencyStreamStateSchema } from './sequentialLatency';
import { errorEvidence, latencyEvidence, type Evidence } from './sequentialEvidence';
import { sequentialSettings } from './sequentialSettings';

function missingReason(m: Measurement | undefined, kind: 'counts' | 'histogram'): string | undefined {
  if (m === undefined || m.kind === kind) return undefined;
  return m.kind === 'missing' ? m.reason : `expected a ${kind} measurement, got ${m.kind}`;
}

/** `{ query }` of a missing measurement that names its query, else nothing. */
function queryOf(m: Measurement | undefined): { query?: string } {
  return m?.kind === 'missing' && m.query !== undefined ? { query: m.query } : {};
}

/** The carry: the stream's state after the measurements the engine dropped. */
const carrySchema = z.discriminatedUnion('kind', [
  z.object({ v: z.literal(1), kind: z.literal('errorRate'), state: errorStreamStateSchema }),
  z.object({ v: z.literal(1), kind: z.literal('latency'), quantile: z.number(), state: latencyStreamStateSchema }),
]);
type Carry = z.infer<typeof carrySchema>;

/** Why a carry cannot be resumed from. */
class UnreadableCarry {
  constructor(readonly reason: string) {}
}

/**
 * The carry for this metric, or undefined when there is none. One that is not this metric's (written by
 * another version of Ramp, or for another quantile) is not a fresh start: starting over would silently
 * restart the test and spend alpha twice. The judge says inconclusive instead, which pauses the rollout
 * for a human, and never passes.
 */
function carried(ctx: JudgeContext): Carry | UnreadableCarry | undefined {
  if (ctx.carried === undefined) return undefined;
  const parsed = carrySchema.safeParse(ctx.carried);
  const kind = ctx.metric.errorRate ? 'errorRate' : 'latency';
  if (
    !parsed.success ||
    parsed.data.kind !== kind ||
    (parsed.data.kind === 'latency' && parsed.data.quantile !== ctx.metric.latency?.quantile)
  ) {
    return new UnreadableCarry(
      `the judge's saved state of measurements older than the latest ones cannot be read back (written by another version of Ramp?); the test cannot go on from it`,
    );
  }
  return parsed.data;
}

/** Replays counts through the error stream, from the carry. */
function errorStream(ms: readonly Measurement[], ctx: JudgeContext, from: Carry | undefined): ErrorRateStream {
  const stream = new ErrorRateStream(
    sequentialSettings(ctx.metric, ctx.alpha),
    true,
    from?.kind === 'errorRate' ? from.state : undefined,
  );
  for (const m of ms) if (m.kind === 'counts') stream.add(m.canary, m.stable, m.shifted);
  return stream;
}

/** Replays histograms through the latency stream, from the carry. */
function latencyStream(
  ms: readonly Measurement[],
  ctx: JudgeContext,
  quantile: number,
  from: Carry | undefined,
): LatencyStream {
  const stream = new LatencyStream(
    { ...sequentialSettings(ctx.metric, ctx.alpha), quantile },
    true,
    from?.kind === 'latency' ? from.state : undefined,
  );
  for (const m of ms) if (m.kind === 'histogram') stream.add(m.canary, m.stable, m.shifted);
  return stream;
}

function judgeErrors(
  ms: readonly Measurement[],
  ctx: JudgeContext,
  from: Carry | undefined,
): { decision: 'fail' | 'pass' | 'continue'; evidence: Evidence; reason: string } {
  const stream = errorStream(ms, ctx, from);
  return { decision: stream.decision, ...errorEvidence(stream, stream.decision) };
}

function judgeLatency(
  ms: readonly Measurement[],
  ctx: JudgeContext,
  quantile: number,
  from: Carry | undefined,
): { decision: 'fail' | 'pass' | 'continue'; evidence: Evidence; reason: string } {
  const stream = latencyStream(ms, ctx, quantile, from);
  return { decision: stream.decision, ...latencyEvidence(stream, stream.decision) };
}

/** Judges errorRate and latency metrics with an anytime-valid sequential test; refuses query metrics. */
export class SequentialJudge implements Judge {
  readonly kind = 'sequential';

  judge(measurements: readonly Measurement[], ctx: JudgeContext): Verdict {
    const metric = ctx.metric;
    if (!metric.errorRate && !metric.latency) {
      return {
        metric: metric.name,
        decision: 'inconclusive',
        reason:
          'the sequential judge compares canary with stable: it judges errorRate and latency metrics, not queries',
        evidence: {},
      };
    }
    const kind = metric.errorRate ? 'counts' : 'histogram';
    const from = carried(ctx);
    if (from instanceof UnreadableCarry)
      return {
        metric: metric.name,
        decision: 'inconclusive',
        reason: from.reason,
        evidence: { missing: from.reason },
      };
    const r = metric.latency
      ? judgeLatency(measurements, ctx, metric.latency.quantile, from)
      : judgeErrors(measurements, ctx, from);
    const evidence = { ...r.evidence, measurements: measurements.length };
    if (r.decision === 'fail') return { metric: metric.name, decision: 'fail', reason: r.reason, evidence };
    const missing = missingReason(measurements[measurements.length - 1], kind);
    if (missing !== undefined)
      return {
        metric: metric.name,
        decision: 'inconclusive',
        reason: missing,
        evidence: { ...evidence, missing, ...queryOf(measurements[measurements.length - 1]) },
      };
    if (measurements.length === 0)
      return { metric: metric.name, decision: 'continue', reason: 'no measurements yet', evidence };
    return { metric: metric.name, decision: r.decision, reason: r.reason, evidence };
  }

  fold(measurements: readonly Measurement[], ctx: JudgeContext): unknown {
    const metric = ctx.metric;
    const from = carried(ctx);
    // An unreadable carry stays as it is: the verdict stays inconclusive rather than restarting the test.
    if (from instanceof UnreadableCarry) return ctx.carried;
    if (metric.errorRate)
      return { v: 1, kind: 'errorRate', state: errorStream(measurements, ctx, from).state() } satisfies Carry;
    if (metric.latency)
      return {
        v: 1,
        kind: 'latency',
        quantile: metric.latency.quantile,
        state: latencyStream(measurements, ctx, metric.latency.quantile, from).state(),
      } satisfies Carry;
    return undefined;
  }
}
