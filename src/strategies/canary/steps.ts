/**
 * Canary record transitions: entering a step (with its weight, scale or pause), starting promotion, and
 * what each of the canary's phases decides on a reconcile.
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
  passedSince,
  podFailureGuard,
  podsReady,
  readyPods,
  resumeWhenConclusive,
  startPromoting,
  startRollback,
  transition,
  unchanged,
  withMessage,
} from '../lifecycle';
import type { DecideInput, StrategyPlan, StrategyRecord, Transition } from '../strategy';
import { canaryPods, podsMode, shareOf } from './pods';
import { hasTraffic } from './slice';
import { describeStep, type CanaryConfig } from './spec';
import type { CanaryState, PromotionStage } from './state';

type P = StrategyPlan<CanaryConfig>;
type R = StrategyRecord<CanaryState>;
type T = Transition<CanaryState>;

/** How soon to look again while waiting for the cluster (pods to become ready, the router to follow). */
export const CONVERGE_POLL_MS = 1000;

/** What a step says, with the share of pods it really gives when traffic follows pods and the weight is not whole pods. */
function stepText(p: P, index: number, state: CanaryState): string {
  const step = p.config.steps[index];
  const text = `step ${index + 1}/${p.config.steps.length}: ${describeStep(step)}`;
  if (step.kind !== 'setWeight' || !podsMode(p)) return text;
  const pods = canaryPods(p, state);
  const share = shareOf(pods, p.plan.replicas);
  return share === step.weight ? text : `${text} (${pods} of ${p.plan.replicas} pods: ${share}%, rounded down)`;
}

/**
 * Moves the record to step `index` and applies the step's entry effects (weight, scale, pause). Used by
 * reconciles and by the `promote` operation (which skips the current step).
 */
export function enterStep(p: P, record: R, index: number, now: number): T {
  const state: CanaryState = { ...record.strategy, stepIndex: index, stepStartedAt: now };
  const next: R = { ...record, strategy: state, pause: undefined, phase: 'Progressing' };
  if (index >= p.config.steps.length) {
    next.message = p.plan.analysis.metrics.length
      ? 'all steps done; promoting once the analysis passes'
      : 'all steps done; promoting';
    return { record: next, events: [note(now, 'StepStarted', next.message, next.phase)] };
  }
  const step = p.config.steps[index];
  const before = canaryPods(p, record.strategy);
  if (step.kind === 'setWeight') {
    state.weight = step.weight;
    state.sticky = step.sticky;
  }
  if (step.kind === 'setSlice') state.sliceStep = index;
  if (step.kind === 'setCanaryScale')
    state.canaryScale = step.matchTrafficWeight ? undefined : { replicas: step.replicas, weight: step.weight };
  if (step.kind === 'pause' && step.durationMs === undefined) next.pause = { kind: 'step', since: now };
  if (next.pause) next.phase = 'Paused';
  if (hasTraffic(p, state) && next.analysis.startedAt === undefined && p.plan.analysis.metrics.length > 0)
    next.analysis = { ...next.analysis, startedAt: now };
  if (canaryPods(p, state) > before) next.progressDeadlineAt = now + p.plan.progressDeadlineMs;
  next.message = stepText(p, index, state);
  const events = [note(now, 'StepStarted', next.message, next.phase)];
  if (state.weight !== record.strategy.weight)
    events.push(note(now, 'WeightChanged', `canary weight ${record.strategy.weight}% → ${state.weight}%`, next.phase));
  if (step.kind === 'setSlice')
    events.push(note(now, 'WeightChanged', `slice of requests on the new revision: ${describeStep(step)}`, next.phase));
  if (next.phase === 'Paused')
    events.push(note(now, 'Paused', `paused at step ${index + 1} until promoted`, next.phase));
  return { record: next, events };
}

/** Starts promoting (after the last step, or `promote --full`). */
export function startPromotion(record: R, now: number, full: boolean): T {
  const strategy: CanaryState = { ...record.strategy, promotion: { since: now, full, stage: 'scaleUp' } };
  return startPromoting(record, now, full, { strategy });
}

/** Whether the canary has the pods its weight asks for, all ready. */
export function canaryReady(p: P, record: R, observed: DecideInput['observed']): boolean {
  return podsReady(observed, record.revisions.new, canaryPods(p, record.strategy));
}

/**
 * Whether the traffic split is what the step asks: behind a router, the router confirms it (or cannot
 * tell); without one, stable has given up the canary's pods (so the shares are the step's).
 */
function splitInPlace(p: P, record: R, observed: DecideInput['observed']): boolean {
  if (!podsMode(p)) return observed.trafficVerified !== false;
  const stable = observed.revisions.find((r) => r.revision === record.revisions.stable);
  return (stable?.specReplicas ?? 0) <= p.plan.replicas - canaryPods(p, record.strategy);
}

function stepComplete(p: P, record: R, observed: DecideInput['observed'], now: number): boolean {
  const { stepIndex, stepStartedAt } = record.strategy;
  const step = p.config.steps[stepIndex];
  switch (step.kind) {
    case 'setWeight':
    case 'setSlice':
      return canaryReady(p, record, observed) && splitInPlace(p, record, observed);
    case 'setCanaryScale':
      return canaryReady(p, record, observed);
    case 'pause':
      return step.durationMs !== undefined && now >= stepStartedAt + step.durationMs;
    case 'analyze':
      return now >= stepStartedAt + step.minMs && passedSince(record, stepStartedAt);
  }
}

/**
 * The progress deadline bounds how long the canary's pods may take to become ready: once they are, it is
 * met and cleared (a later pause, manual or not, then waits without a deadline firing again and again).
 */
function deadlineMet(p: P, record: R, observed: DecideInput['observed']): R {
  if (record.progressDeadlineAt === undefined || !canaryReady(p, record, observed)) return record;
  return { ...record, progressDeadlineAt: undefined };
}

/** Whether the current step is an analyze step whose max has passed. */
function analyzeExpired(p: P, record: R, now: number): boolean {
  const step = p.config.steps[record.strategy.stepIndex];
  return step?.kind === 'analyze' && step.maxMs !== undefined && now >= record.strategy.stepStartedAt + step.maxMs;
}

/** Failed analysis, a missed deadline, or analysis inconclusive for too long: the reasons to stop. */
function checkGuards(p: P, record: R, input: DecideInput<CanaryState>): T | undefined {
  const { analysis, now, observed } = input;
  if (analysis?.decision === 'fail') return startRollback(record, `analysis failed: ${analysis.reason}`, now);
  const pods = podFailureGuard(p.plan, record, observed, now);
  if (pods) return pods;
  const want = canaryPods(p, record.strategy);
  const ready = readyPods(observed, record.revisions.new);
  if (record.progressDeadlineAt !== undefined && now >= record.progressDeadlineAt && ready < want) {
    const within = formatDuration(p.plan.progressDeadlineMs);
    const why = `the canary's pods were not ready within the progress deadline (${within}): ${ready}/${want} ready`;
    return startRollback(record, why, now);
  }
  if (record.phase === 'Progressing' && analyzeExpired(p, record, now) && latestVerdict(record)?.decision !== 'pass') {
    const why = `the analysis did not pass within ${formatDuration(now - record.strategy.stepStartedAt)}`;
    return inconclusive(p.plan, record, why, now);
  }
  return inconclusiveTooLong(p.plan, record, analysis, now);
}

function decideProgressing(p: P, record: R, input: DecideInput<CanaryState>): T {
  const guard = checkGuards(p, record, input);
  if (guard) return guard;
  const { observed, now } = input;
  if (record.strategy.stepIndex >= p.config.steps.length) {
    const verdict = latestVerdict(record);
    if (p.plan.analysis.metrics.length === 0 || passedSince(record, record.strategy.stepStartedAt))
      return startPromotion(record, now, false);
    const waiting =
      verdict?.decision === 'pass'
        ? 'waiting for a look taken after the last step'
        : verdict
          ? `${verdict.decision}: ${verdict.reason}`
          : 'no verdict yet';
    return withMessage(record, `all steps done; waiting for the analysis to pass (${waiting})`);
  }
  // One step per reconcile: each step's condition is checked against what was observed for it.
  if (stepComplete(p, record, observed, now))
    return enterStep(p, deadlineMet(p, record, observed), record.strategy.stepIndex + 1, now);
  return unchanged(deadlineMet(p, record, observed));
}

function decidePaused(p: P, record: R, input: DecideInput<CanaryState>): T {
  const { analysis, now } = input;
  if (analysis?.decision === 'fail') return startRollback(record, `analysis failed: ${analysis.reason}`, now);
  const pods = podFailureGuard(p.plan, record, input.observed, now);
  if (pods) return pods;
  // An analyze step that ran out of time waits for a pass; a data outage waits for data.
  return resumeWhenConclusive(record, analysis, now, analyzeExpired(p, record, now) ? ['pass'] : ['pass', 'continue']);
}

function promotionStage(record: R, stage: PromotionStage, message: string, now: number): T {
  const promotion = { ...(record.strategy.promotion ?? { since: now, full: false }), stage };
  return transition(record, { strategy: { ...record.strategy, promotion }, message }, 'Promoting', now);
}

function decidePromoting(p: P, record: R, input: DecideInput<CanaryState>): T {
  const { observed, now } = input;
  const rev = record.revisions.new;
  switch (record.strategy.promotion?.stage ?? 'scaleUp') {
    case 'scaleUp': {
      const pods = podFailureGuard(p.plan, record, observed, now);
      if (pods) return pods;
      if (readyPods(observed, rev) < p.plan.replicas) {
        if (record.progressDeadlineAt !== undefined && now >= record.progressDeadlineAt) {
          const why = `the new revision did not reach ${p.plan.replicas} ready pods within the progress deadline`;
          return startRollback(record, why, now);
        }
        if (record.progressDeadlineAt !== undefined) return unchanged(record);
        return { record: { ...record, progressDeadlineAt: now + p.plan.progressDeadlineMs }, events: [] };
      }
      // Without a router the stable Service selects every revision: the old one must go now, not after a delay.
      if (podsMode(p)) return finishPromotion(record, now, 0);
      const t = promotionStage(record, 'shift', 'promoting: all traffic to the new revision', now);
      return { ...t, record: { ...t.record, progressDeadlineAt: undefined } };
    }
    case 'shift':
      if (observed.trafficVerified === false) return unchanged(record);
      return promotionStage(record, 'switch', 'promoting: the stable Service now selects the new revision', now);
    case 'switch':
      if (observed.services.stable !== rev) return unchanged(record);
      return promotionStage(record, 'reset', 'promoting: traffic back to the stable Service', now);
    case 'reset':
      if (observed.trafficVerified === false) return unchanged(record);
      return finishPromotion(record, now, p.config.scaleDownDelayMs, {
        strategy: { ...record.strategy, promotion: undefined, canaryScale: undefined },
      });
  }
}

function decideRollingBack(record: R, input: DecideInput<CanaryState>): T {
  const rs = input.observed.revisions.find((r) => r.revision === record.revisions.new);
  if ((rs?.specReplicas ?? 0) > 0 || input.observed.trafficVerified === false) return unchanged(record);
  return finishRollback({ ...record, strategy: { ...record.strategy, canaryScale: undefined } }, input.now);
}

/** The canary's decision for one reconcile. */
export function decideCanary(p: P, input: DecideInput<CanaryState>): T {
  return decideLifecycle(p.plan, input, {
    start: (r) => enterStep(p, r, 0, input.now),
    Progressing: (r) => decideProgressing(p, r, input),
    Paused: (r) => decidePaused(p, r, input),
    Promoting: (r) => decidePromoting(p, r, input),
    RollingBack: (r) => decideRollingBack(r, input),
  });
}
