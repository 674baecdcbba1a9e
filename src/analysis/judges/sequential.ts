/**
 * The sequential judge (DESIGN §5): an anytime-valid test of canary against stable for the built-in
 * errorRate and latency metrics. It replays every measurement so far through the streaming test
 * (sequentialErrors.ts, sequentialLatency.ts: O(1) per window), so the verdict is a pure function of the
 * history: a fail is final, a pass holds while the whole history supports it, missing data now is
 * inconclusive, and undecided past `decideWithin` is inconclusive (the rollout then follows
 * onInconclusive) — with, until then, how long a decision will take at this traffic. Pure.
 *
 * The engine keeps a bounded number of measurements; what it drops is folded into a carry (the streams'
 * state), so the test goes on over the whole analysis however long it runs: a window sliding over the
 * latest measurements would no longer be a martingale, and the false-rollback guarantee would wear off.
 */
import { z } from 'zod';
import type { Judge, JudgeContext } from '../judge';
import type { Measurement, Verdict } from '../types';
import { formatDuration } from '../../plan/duration';
import { ErrorRateStream, errorStreamStateSchema } from './sequentialErrors';
import { LatencyStream, latencyStreamStateSchema } from './sequentialLatency';
import { errorEvidence, humanMinutes, latencyEvidence, passOutlook, type Evidence } from './sequentialEvidence';
import { sequentialSettings } from './sequentialSettings';
import { num } from './checks';

/** The latest measurement that is a window or says data is missing (a baseline is neither). */
function latestWindow(ms: readonly Measurement[]): Measurement | undefined {
  for (let i = ms.length - 1; i >= 0; i--) if (ms[i].kind !== 'baseline') return ms[i];
  return undefined;
}

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
  z.object({ v: z.literal(2), kind: z.literal('errorRate'), state: errorStreamStateSchema }),
  z.object({ v: z.literal(2), kind: z.literal('latency'), quantile: z.number(), state: latencyStreamStateSchema }),
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
  for (const m of ms) {
    if (m.kind === 'baseline') stream.addBaseline(m);
    if (m.kind === 'counts')
      stream.add(m.canary, m.stable, { pods: m.pods, shifted: m.shifted, from: m.from, to: m.to ?? m.at });
  }
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
  for (const m of ms) {
    if (m.kind === 'baseline') stream.addBaseline(m);
    if (m.kind === 'histogram')
      stream.add(m.canary, m.stable, {
        les: m.les,
        pods: m.pods,
        shifted: m.shifted,
        from: m.from,
        to: m.to ?? m.at,
      });
  }
  return stream;
}

/** How long a decision will take at this traffic, as evidence and a clause (while undecided). */
function outlook(stream: ErrorRateStream | LatencyStream, ctx: JudgeContext): { evidence: Evidence; clause: string } {
  const minutes = Math.max(ctx.now - ctx.analysisStartedAt, 0) / 60_000;
  const perMinute = minutes > 0 ? stream.test.exposure / minutes : 0;
  const { requestsLeft } = passOutlook(stream);
  const etaMinutes = perMinute > 0 ? requestsLeft / perMinute : Infinity;
  const evidence: Evidence = {
    canaryPerMinute: num(perMinute),
    passRequestsLeft: Number.isFinite(requestsLeft) ? Math.round(requestsLeft) : 'unknown',
    passEtaMinutes: Number.isFinite(etaMinutes) ? num(etaMinutes) : 'unknown',
  };
  if (minutes <= 0 || stream.test.exposure <= 0) return { evidence, clause: '' };
  const rate = `at ${num(perMinute)} canary requests/min`;
  if (!Number.isFinite(requestsLeft))
    return { evidence, clause: `; ${rate}, identical versions would not pass on this evidence (too few events)` };
  return {
    evidence,
    clause: `; ${rate}, passing identical versions needs ${Math.round(requestsLeft)} more canary requests (${humanMinutes(etaMinutes)})`,
  };
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
    const stream = metric.latency
      ? latencyStream(measurements, ctx, metric.latency.quantile, from)
      : errorStream(measurements, ctx, from);
    const r =
      stream instanceof LatencyStream
        ? latencyEvidence(stream, stream.decision)
        : errorEvidence(stream, stream.decision);
    const decision = stream.decision;
    const evidence = { ...r.evidence, measurements: measurements.length };
    if (decision === 'fail') return { metric: metric.name, decision: 'fail', reason: r.reason, evidence };
    const missing = missingReason(latestWindow(measurements), kind);
    if (missing !== undefined)
      return {
        metric: metric.name,
        decision: 'inconclusive',
        reason: missing,
        evidence: { ...evidence, missing, ...queryOf(latestWindow(measurements)) },
      };
    if (decision === 'pass') return { metric: metric.name, decision: 'pass', reason: r.reason, evidence };
    if (latestWindow(measurements) === undefined && stream.test.exposure === 0)
      return {
        metric: metric.name,
        decision: 'continue',
        reason: 'no windows yet: waiting until every pod of both versions has been scraped',
        evidence,
      };
    const o = outlook(stream, ctx);
    const all = { ...evidence, ...o.evidence };
    const settings = stream.settings;
    if (ctx.now - ctx.analysisStartedAt > settings.decideWithinMs)
      return {
        metric: metric.name,
        decision: 'inconclusive',
        reason: `undecided after ${formatDuration(ctx.now - ctx.analysisStartedAt)} (decideWithin ${formatDuration(settings.decideWithinMs)}): ${r.reason}${o.clause}`,
        evidence: all,
      };
    return {
      metric: metric.name,
      decision: 'continue',
      reason: `${r.reason}${o.clause}`,
      evidence: all,
    };
  }

  fold(measurements: readonly Measurement[], ctx: JudgeContext): unknown {
    const metric = ctx.metric;
    const from = carried(ctx);
    // An unreadable carry stays as it is: the verdict stays inconclusive rather than restarting the test.
    if (from instanceof UnreadableCarry) return ctx.carried;
    if (metric.errorRate)
      return { v: 2, kind: 'errorRate', state: errorStream(measurements, ctx, from).state() } satisfies Carry;
    if (metric.latency)
      return {
        v: 2,
        kind: 'latency',
        quantile: metric.latency.quantile,
        state: latencyStream(measurements, ctx, metric.latency.quantile, from).state(),
      } satisfies Carry;
    return undefined;
  }
}
