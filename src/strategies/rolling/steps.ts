/**
 * Rolling record transitions: entering a step (a batch, or the gate after one), the last batch as the
 * promotion, and what each phase decides on a reconcile. The last batch removes the last old pods, after
 * which there is nothing to compare the new ones with: with metrics it starts only once the judge passes
 * (or a human promotes).
 */
import { formatDuration } from '../../plan/duration';
import {
  decideLifecycle,
  finishPromotion,
  finishRollback,
  inconclusive,
  inconclusiveTooLong,
  latestVerdict,
  note,
  podFailureGuard,
  readyPods,
  resumeWhenConclusive,
  revisionState,
  startPromoting,
  startRollback,
  unchanged,
  withMessage,
} from '../lifecycle';
import type { DecideInput, StrategyPlan, StrategyRecord, Transition } from '../strategy';
import { batchReached, batchTarget } from './pods';
import { batchPods, describeRollingStep, type RollingConfig } from './spec';
import type { RollingState } from './state';

type P = StrategyPlan<RollingConfig>;
type R = StrategyRecord<RollingState>;
type T = Transition<RollingState>;

/** A rollout paused in its last batch (a pod that could not run) resumes promoting, not progressing. */
export function inPhase(p: P, t: T): T {
  const r = t.record;
  if (r.phase !== 'Progressing' || r.strategy.stepIndex < lastStep(p)) return t;
  const record: R = { ...r, phase: 'Promoting' };
  return { ...t, record, events: t.events.map((e) => (e.phase === 'Progressing' ? { ...e, phase: 'Promoting' } : e)) };
}

/** The last step: the last batch, which is the promotion. */
export function lastStep(p: P): number {
  return p.config.steps.length - 1;
}

function stepText(p: P, index: number): string {
  return `step ${index + 1}/${p.config.steps.length}: ${describeRollingStep(p.config.steps[index], p.config, p.plan.replicas)}`;
}

/** Starts the last batch: every remaining old pod is replaced (after the steps, by `promote`, or `promote --full`). */
export function startPromotion(p: P, record: R, now: number, full: boolean): T {
  const strategy: RollingState = {
    ...record.strategy,
    stepIndex: lastStep(p),
    stepStartedAt: now,
    promotion: { since: now, full },
  };
  const message = `promoting: ${stepText(p, lastStep(p))}`;
  return startPromoting(record, now, full, { strategy, message, progressDeadlineAt: now + p.plan.progressDeadlineMs });
}

/**
 * Moves the record to step `index` and applies its entry effects: a batch asks for more new pods (and
 * starts the progress deadline, and background analysis with the first of them), a pause without a
 * duration waits for `promote`. The last batch is the promotion.
 */
export function enterStep(p: P, record: R, index: number, now: number): T {
  if (index >= lastStep(p)) return startPromotion(p, record, now, false);
  const step = p.config.steps[index];
  const state: RollingState = { ...record.strategy, stepIndex: index, stepStartedAt: now };
  const next: R = { ...record, strategy: state, phase: 'Progressing', pause: undefined, message: stepText(p, index) };
  if (step.kind === 'batch') {
    next.progressDeadlineAt = now + p.plan.progressDeadlineMs;
    if (next.analysis.startedAt === undefined && p.plan.analysis.metrics.length > 0)
      next.analysis = { ...next.analysis, startedAt: now };
  } else next.progressDeadlineAt = undefined;
  if (step.kind === 'pause' && step.durationMs === undefined) {
    next.phase = 'Paused';
    next.pause = { kind: 'step', since: now };
  }
  const events = [note(now, 'StepStarted', next.message, next.phase)];
  if (step.kind === 'batch') {
    const from = index === 0 ? 0 : batchTarget(p, record);
    const to = batchPods(step.size, p.plan.replicas);
    events.push(note(now, 'WeightChanged', `new pods ${from} → ${to} of ${p.plan.replicas}`, next.phase));
  }
  if (next.phase === 'Paused')
    events.push(note(now, 'Paused', `paused at step ${index + 1} until promoted`, next.phase));
  return { record: next, events };
}

/** The step after the current one; before the last batch, only once the judge passes (when there are metrics). */
function advance(p: P, record: R, now: number): T {
  const next = record.strategy.stepIndex + 1;
  if (next < lastStep(p) || p.plan.analysis.metrics.length === 0) return enterStep(p, record, next, now);
  const verdict = latestVerdict(record);
  if (verdict?.decision === 'pass') return enterStep(p, record, next, now);
  const waiting = verdict ? `${verdict.decision}: ${verdict.reason}` : 'no verdict yet';
  return withMessage(record, `waiting for the analysis to pass before the last batch (${waiting})`);
}

function analyzeExpired(p: P, record: R, now: number): boolean {
  const step = p.config.steps[record.strategy.stepIndex];
  return step?.kind === 'analyze' && step.maxMs !== undefined && now >= record.strategy.stepStartedAt + step.maxMs;
}

function stepComplete(p: P, record: R, observed: DecideInput['observed'], now: number): boolean {
  const { stepIndex, stepStartedAt } = record.strategy;
  const step = p.config.steps[stepIndex];
  const { stable, new: rev } = record.revisions;
  switch (step.kind) {
    case 'batch':
      return batchReached(p, batchTarget(p, record), observed, stable ?? '', rev);
    case 'analyze':
      return now >= stepStartedAt + step.minMs && latestVerdict(record)?.decision === 'pass';
    case 'pause':
      return step.durationMs !== undefined && now >= stepStartedAt + step.durationMs;
  }
}

/** Where a batch stands, for a message: the new pods ready, and the old ones left (the old shrink waits for ready pods). */
function batchState(p: P, target: number, record: R, observed: DecideInput['observed']): string {
  const { stable, new: rev } = record.revisions;
  const old = revisionState(observed, stable);
  const oldLeft = `${old?.specReplicas ?? 0} old pods (${old?.readyReplicas ?? 0} ready) where the batch leaves ${p.plan.replicas - target}`;
  return `${readyPods(observed, rev)}/${target} new pods ready, ${oldLeft}`;
}

/** A failed verdict, a new pod that cannot run, a batch not in place by the progress deadline, a gate out of time, or no data for too long. */
function checkGuards(p: P, record: R, input: DecideInput<RollingState>): T | undefined {
  const { analysis, now, observed } = input;
  if (analysis?.decision === 'fail') return startRollback(record, `analysis failed: ${analysis.reason}`, now);
  const pods = podFailureGuard(p.plan, record, observed, now);
  if (pods) return pods;
  const target = batchTarget(p, record);
  const { stable, new: rev } = record.revisions;
  if (
    record.progressDeadlineAt !== undefined &&
    now >= record.progressDeadlineAt &&
    !batchReached(p, target, observed, stable ?? '', rev)
  ) {
    const within = formatDuration(p.plan.progressDeadlineMs);
    return startRollback(
      record,
      `the batch was not in place within the progress deadline (${within}): ${batchState(p, target, record, observed)}`,
      now,
    );
  }
  if (record.phase === 'Progressing' && analyzeExpired(p, record, now) && latestVerdict(record)?.decision !== 'pass') {
    const why = `the analysis did not pass within ${formatDuration(now - record.strategy.stepStartedAt)}`;
    return inconclusive(p.plan, record, why, now);
  }
  return inconclusiveTooLong(p.plan, record, analysis, now);
}

function decideProgressing(p: P, record: R, input: DecideInput<RollingState>): T {
  const guard = checkGuards(p, record, input);
  if (guard) return guard;
  if (!stepComplete(p, record, input.observed, input.now)) return unchanged(record);
  return advance(p, { ...record, progressDeadlineAt: undefined }, input.now);
}

function decidePaused(p: P, record: R, input: DecideInput<RollingState>): T {
  const { analysis, now } = input;
  if (analysis?.decision === 'fail') return startRollback(record, `analysis failed: ${analysis.reason}`, now);
  const pods = podFailureGuard(p.plan, record, input.observed, now);
  if (pods) return pods;
  return inPhase(
    p,
    resumeWhenConclusive(record, analysis, now, analyzeExpired(p, record, now) ? ['pass'] : ['pass', 'continue']),
  );
}

function decidePromoting(p: P, record: R, input: DecideInput<RollingState>): T {
  const { observed, now } = input;
  const { stable, new: rev } = record.revisions;
  // The last batch takes the last old pods: a new pod that cannot run stops it while the old revision can still come back.
  const pods = podFailureGuard(p.plan, record, observed, now);
  if (pods) return pods;
  if (batchReached(p, p.plan.replicas, observed, stable ?? '', rev))
    return finishPromotion(record, now, 0, { strategy: { ...record.strategy, promotion: undefined } });
  if (record.progressDeadlineAt !== undefined && now >= record.progressDeadlineAt) {
    const within = formatDuration(p.plan.progressDeadlineMs);
    return startRollback(
      record,
      `the last batch was not in place within the progress deadline (${within}): ${batchState(p, p.plan.replicas, record, observed)}`,
      now,
    );
  }
  return unchanged(record);
}

/** The rollback ends once the new revision has no pods (it loses them only after the old one is back at full size, ready). */
function decideRollingBack(record: R, input: DecideInput<RollingState>): T {
  if ((revisionState(input.observed, record.revisions.new)?.specReplicas ?? 0) > 0) return unchanged(record);
  return finishRollback({ ...record, strategy: { ...record.strategy, promotion: undefined } }, input.now);
}

/** The rolling strategy's decision for one reconcile. */
export function decideRolling(p: P, input: DecideInput<RollingState>): T {
  return decideLifecycle(p.plan, input, {
    start: (r) => enterStep(p, r, 0, input.now),
    Progressing: (r) => decideProgressing(p, r, input),
    Paused: (r) => decidePaused(p, r, input),
    Promoting: (r) => decidePromoting(p, r, input),
    RollingBack: (r) => decideRollingBack(r, input),
  });
}
