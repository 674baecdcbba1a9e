/**
 * Blue-green record transitions: entering a step, starting the promotion, and what each phase decides
 * on a reconcile. A failed verdict rolls back at any step (before the switch the preview's, after it the
 * new revision's on live traffic); the post-promotion analysis starts over against the stable
 * revision's last pre-switch windows (analysis/baseline.ts). The rollout is promoted only once the old
 * revision has kept its pods for the scale-down delay, so a rollback in that window is one selector
 * write and starts no pod.
 */
import { baselineUsedUp, restartAgainstBaseline } from '../../analysis/baseline';
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
  podsReady,
  readyPods,
  resumeWhenConclusive,
  revisionState,
  startPromoting,
  startRollback,
  unchanged,
} from '../lifecycle';
import type { DecideInput, StrategyPlan, StrategyRecord, Transition } from '../strategy';
import type { BlueGreenConfig } from './spec';
import type { BlueGreenState } from './state';
import { previewPods, promoting, stepIndexOf, stepText } from './steps';

type P = StrategyPlan<BlueGreenConfig>;
type R = StrategyRecord<BlueGreenState>;
type T = Transition<BlueGreenState>;

/** A rollout past the switch's preparations is promoting: a resume or a conclusive analysis there returns to Promoting, not Progressing. */
export function inPhase(p: P, t: T): T {
  const r = t.record;
  if (r.phase !== 'Progressing' || !promoting(p, r.strategy.stepIndex)) return t;
  const record: R = { ...r, phase: 'Promoting' };
  return { ...t, record, events: t.events.map((e) => (e.phase === 'Progressing' ? { ...e, phase: 'Promoting' } : e)) };
}

/** Starts the promotion: the new revision to full size first (after the steps, by promote, or promote --full). */
export function startPromotion(p: P, record: R, now: number, full: boolean): T {
  const index = stepIndexOf(p, 'fullSize');
  const strategy: BlueGreenState = {
    ...record.strategy,
    stepIndex: index,
    stepStartedAt: now,
    promotion: { since: now, full },
  };
  const changes = {
    strategy,
    message: `promoting: ${stepText(p, index)}`,
    progressDeadlineAt: now + p.plan.progressDeadlineMs,
  };
  return startPromoting(record, now, full, changes);
}

/** Moves the record to step `index` with the step's entry effects. */
export function enterStep(p: P, record: R, index: number, now: number): T {
  if (index === stepIndexOf(p, 'fullSize') && !promoting(p, record.strategy.stepIndex))
    return startPromotion(p, record, now, false);
  const step = p.config.steps[index];
  const state: BlueGreenState = { ...record.strategy, stepIndex: index, stepStartedAt: now };
  const next: R = { ...record, strategy: state, pause: undefined, message: stepText(p, index) };
  next.phase = promoting(p, index) ? 'Promoting' : 'Progressing';
  if (step.kind === 'preview') next.progressDeadlineAt = now + p.plan.progressDeadlineMs;
  if (step.kind === 'promote' && step.manual) {
    next.phase = 'Paused';
    next.pause = { kind: 'step', since: now };
  }
  // After the switch a new test starts, with the stable revision's pre-switch windows as its baseline.
  if (step.kind === 'analyze' && step.when === 'post') next.analysis = restartAgainstBaseline(next.analysis, now);
  const events = [note(now, 'StepStarted', next.message, next.phase)];
  if (next.phase === 'Paused')
    events.push(note(now, 'Paused', `paused at step ${index + 1}: the preview waits for ramp promote`, next.phase));
  return { record: next, events };
}

/** The step after the current one (a promote --full skips the post-promotion analysis), or the promotion's end. */
function advance(p: P, record: R, now: number): T {
  let next = record.strategy.stepIndex + 1;
  const step = p.config.steps[next];
  if (step?.kind === 'analyze' && step.when === 'post' && record.strategy.promotion?.full) next++;
  if (next < p.config.steps.length) return enterStep(p, record, next, now);
  return finishPromotion(record, now, 0, { strategy: { ...record.strategy, promotion: undefined } });
}

/** Whether the pre-promotion analysis has passed (there is nothing to pass without one). */
function prePassed(p: P, record: R): boolean {
  return stepIndexOf(p, 'analyze', 'pre') < 0 || latestVerdict(record)?.decision === 'pass';
}

/** Whether the current step is done, and the record with what completing it records. */
function complete(p: P, record: R, input: DecideInput<BlueGreenState>): R | undefined {
  const { observed, now } = input;
  const { stepIndex, stepStartedAt, previewReadyAt, switchedAt } = record.strategy;
  const step = p.config.steps[stepIndex];
  const rev = record.revisions.new;
  switch (step.kind) {
    case 'preview': {
      if (!podsReady(observed, rev, previewPods(p))) return undefined;
      const analysis = stepIndexOf(p, 'analyze', 'pre') >= 0 ? { ...record.analysis, startedAt: now } : record.analysis;
      const strategy = { ...record.strategy, previewReadyAt: now };
      return { ...record, strategy, analysis, progressDeadlineAt: undefined };
    }
    case 'analyze':
      return now >= stepStartedAt + step.minMs && latestVerdict(record)?.decision === 'pass' ? record : undefined;
    case 'promote':
      return !step.manual && now >= (previewReadyAt ?? now) + step.afterMs && prePassed(p, record) ? record : undefined;
    case 'fullSize':
      return podsReady(observed, rev, p.plan.replicas) ? { ...record, progressDeadlineAt: undefined } : undefined;
    case 'switch':
      return observed.services.stable === rev
        ? { ...record, strategy: { ...record.strategy, switchedAt: now } }
        : undefined;
    case 'scaleDownDelay':
      return now >= (switchedAt ?? now) + p.config.scaleDownDelayMs ? record : undefined;
  }
}

function analyzeExpired(p: P, record: R, now: number): boolean {
  const step = p.config.steps[record.strategy.stepIndex];
  return step?.kind === 'analyze' && step.maxMs !== undefined && now >= record.strategy.stepStartedAt + step.maxMs;
}

/**
 * A failed verdict, a new pod that cannot run, pods not ready by the progress deadline, an analysis out of
 * time, or no data for too long. A new pod that cannot run counts at every step: before the switch it is
 * the preview's, after it the old revision is still warm and taking it back is one selector write.
 */
function checkGuards(p: P, record: R, input: DecideInput<BlueGreenState>): T | undefined {
  const { analysis, now, observed } = input;
  const after = promoting(p, record.strategy.stepIndex) ? 'after the switch' : 'on the preview';
  if (analysis?.decision === 'fail') return startRollback(record, `analysis failed ${after}: ${analysis.reason}`, now);
  const pods = podFailureGuard(p.plan, record, observed, now);
  if (pods) return pods;
  const step = p.config.steps[record.strategy.stepIndex];
  if (record.progressDeadlineAt !== undefined && now >= record.progressDeadlineAt) {
    const want = step.kind === 'preview' ? previewPods(p) : p.plan.replicas;
    const ready = readyPods(observed, record.revisions.new);
    const within = formatDuration(p.plan.progressDeadlineMs);
    if (ready < want)
      return startRollback(
        record,
        `the new pods were not ready within the progress deadline (${within}): ${ready}/${want} ready`,
        now,
      );
  }
  const usedUp = windowsUsedUp(p, record);
  if (usedUp) return inconclusive(p.plan, record, usedUp, now);
  if (analyzeExpired(p, record, now) && latestVerdict(record)?.decision !== 'pass') {
    const why = `the ${step.kind === 'analyze' ? step.when : ''}-promotion analysis did not pass within ${formatDuration(now - record.strategy.stepStartedAt)}`;
    return inconclusive(p.plan, record, why, now);
  }
  return inconclusiveTooLong(p.plan, record, analysis, now);
}

/**
 * After the switch, why the analysis can go no further without a pass: every pre-promotion window of a
 * request metric has been judged against (each once). Waiting longer would only add missing data.
 */
function windowsUsedUp(p: P, record: R): string | undefined {
  const step = p.config.steps[record.strategy.stepIndex];
  if (step?.kind !== 'analyze' || step.when !== 'post' || latestVerdict(record)?.decision === 'pass') return undefined;
  const requestMetrics = p.plan.analysis.metrics.filter((m) => m.errorRate || m.latency).map((m) => m.name);
  const used = baselineUsedUp(record.analysis, requestMetrics);
  if (!used.length) return undefined;
  return `the post-promotion analysis has judged against every window the pre-promotion analysis kept for ${used.join(', ')} (each is used once) and has not passed: a longer prePromotionAnalysis.min keeps more`;
}

function decideMoving(p: P, record: R, input: DecideInput<BlueGreenState>): T {
  const guard = checkGuards(p, record, input);
  if (guard) return guard;
  const done = complete(p, record, input);
  return done ? advance(p, done, input.now) : unchanged(record);
}

function decidePaused(p: P, record: R, input: DecideInput<BlueGreenState>): T {
  const { analysis, now } = input;
  if (analysis?.decision === 'fail') return startRollback(record, `analysis failed: ${analysis.reason}`, now);
  const pods = podFailureGuard(p.plan, record, input.observed, now);
  if (pods) return pods;
  // No window is left to judge against: a later look cannot make it conclusive again.
  if (record.pause?.kind === 'inconclusive' && windowsUsedUp(p, record)) return unchanged(record);
  return resumeWhenConclusive(record, analysis, now, analyzeExpired(p, record, now) ? ['pass'] : ['pass', 'continue']);
}

/** The rollback ends once every Service selects the old revision again and the new one has no pods. */
function decideRollingBack(record: R, input: DecideInput<BlueGreenState>): T {
  const { observed } = input;
  const stable = record.revisions.stable;
  if (observed.services.stable !== stable || (revisionState(observed, record.revisions.new)?.specReplicas ?? 0) > 0)
    return unchanged(record);
  if (observed.trafficVerified === false) return unchanged(record);
  return finishRollback({ ...record, strategy: { ...record.strategy, promotion: undefined } }, input.now);
}

/** The blue-green decision for one reconcile. */
export function decideBlueGreen(p: P, input: DecideInput<BlueGreenState>): T {
  // Progressing and Promoting are one sequence of steps; inPhase names which of the two it is in.
  return decideLifecycle(p.plan, input, {
    start: (r) => enterStep(p, r, 0, input.now),
    Progressing: (r) => inPhase(p, decideMoving(p, r, input)),
    Promoting: (r) => inPhase(p, decideMoving(p, r, input)),
    Paused: (r) => inPhase(p, decidePaused(p, r, input)),
    RollingBack: (r) => decideRollingBack(r, input),
  });
}
