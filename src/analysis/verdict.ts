/**
 * Combines the verdicts of a rollout's metrics into one decision: the canary is as good as its worst
 * metric. Pure.
 */
import type { Decision, Verdict } from './types';

function names(vs: readonly Verdict[]): string {
  return vs.map((v) => v.metric).join(', ');
}

/** `errors — <why>` for one metric, `errors, latency — errors: <why>; latency: <why>` for more. */
function details(vs: readonly Verdict[]): string {
  if (vs.length === 1) return `${vs[0].metric} — ${vs[0].reason}`;
  return `${names(vs)} — ${vs.map((v) => `${v.metric}: ${v.reason}`).join('; ')}`;
}

/**
 * Any fail → fail (naming which); else any inconclusive → inconclusive; else all pass → pass; else
 * continue. No metrics → pass: there is nothing to judge.
 */
export function combineVerdicts(verdicts: readonly Verdict[]): { decision: Decision; reason: string } {
  if (verdicts.length === 0) return { decision: 'pass', reason: 'no metrics to judge' };
  const of = (d: Decision) => verdicts.filter((v) => v.decision === d);
  const failed = of('fail');
  // The decision is a field of its own: the reason does not repeat it, nor the metrics' names.
  if (failed.length) return { decision: 'fail', reason: details(failed) };
  const unsure = of('inconclusive');
  if (unsure.length) return { decision: 'inconclusive', reason: details(unsure) };
  const waiting = of('continue');
  if (waiting.length)
    return { decision: 'continue', reason: `waiting on ${names(waiting)} (passed: ${names(of('pass')) || 'none'})` };
  return { decision: 'pass', reason: `passed: ${names(verdicts)}` };
}
