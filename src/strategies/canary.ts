/**
 * The canary strategy (pure): steps setWeight, pause, analyze and setCanaryScale; background analysis
 * from the first traffic step to promotion; promotion in four stages; rollback that moves traffic
 * before pods; the progress deadline; and the first deploy of an app, which goes straight to stable.
 */
import { combineVerdicts } from '../analysis/verdict';
import type { CompiledPlan, CompiledStep } from '../plan/compile';
import { formatDuration } from '../plan/duration';
import type { Phase, RolloutEvent, RolloutRecord } from '../engine/record';
import type { DecideInput, DecideOutput, DesiredState, StrategyObserved, Strategy } from './strategy';

/** How soon to look again while waiting for the cluster (pods to become ready, the router to follow). */
export const CONVERGE_POLL_MS = 1000;

/** Replicas the canary should have for the record's weight (or its setCanaryScale override). */
export function canaryReplicas(plan: CompiledPlan, record: RolloutRecord): number {
  const scale = record.canaryScale;
  if (scale?.replicas !== undefined) return scale.replicas;
  const w = scale?.weight ?? record.weight;
  return w <= 0 ? 0 : Math.max(1, Math.ceil((plan.replicas * w) / 100));
}

/** Replicas the stable revision keeps while the canary runs: all of them behind a router, the rest with replicaRatio. */
export function stableReplicas(plan: CompiledPlan, record: RolloutRecord): number {
  if (plan.router.kind !== 'replicaRatio') return plan.replicas;
  return Math.max(0, plan.replicas - Math.min(plan.replicas, canaryReplicas(plan, record)));
}

/** A step as people read it: `setWeight 25`, `pause 30s`, `analyze (min 1m)`. */
export function describeStep(step: CompiledStep): string {
  switch (step.kind) {
    case 'setWeight':
      return `setWeight ${step.weight}`;
    case 'pause':
      return step.durationMs === undefined ? 'pause until promoted' : `pause ${formatDuration(step.durationMs)}`;
    case 'analyze':
      return `analyze (min ${formatDuration(step.minMs)}${step.maxMs !== undefined ? `, max ${formatDuration(step.maxMs)}` : ''})`;
    case 'setCanaryScale':
      return `setCanaryScale ${step.replicas !== undefined ? `${step.replicas} replicas` : step.weight !== undefined ? `${step.weight}%` : 'to match traffic'}`;
  }
}

function event(
  now: number,
  type: RolloutEvent['type'],
  message: string,
  record: RolloutRecord,
  extra: Partial<RolloutEvent> = {},
): RolloutEvent {
  return { at: now, type, message, phase: record.phase, step: record.stepIndex, weight: record.weight, ...extra };
}

/** Whether background analysis runs: from the first traffic step until promotion. */
export function analysisActive(plan: CompiledPlan, record: RolloutRecord): boolean {
  return (
    !record.firstDeploy &&
    plan.analysis.metrics.length > 0 &&
    (record.phase === 'Progressing' || record.phase === 'Paused') &&
    (record.weight > 0 || record.analysis.startedAt !== undefined)
  );
}

/** The combined verdict of the latest measurement of every metric. */
export function latestVerdict(record: RolloutRecord): ReturnType<typeof combineVerdicts> | undefined {
  const verdicts = Object.values(record.analysis.metrics).flatMap((m) => (m.verdict ? [m.verdict] : []));
  return verdicts.length ? combineVerdicts(verdicts) : undefined;
}

/**
 * Moves the record to step `index` and applies the step's entry effects (weights, scale, pauses).
 * Used by reconciles and by the `promote` operation (which skips the current step).
 */
export function enterStep(
  plan: CompiledPlan,
  record: RolloutRecord,
  index: number,
  now: number,
): { record: RolloutRecord; events: RolloutEvent[] } {
  const next: RolloutRecord = {
    ...record,
    stepIndex: index,
    stepStartedAt: now,
    pause: undefined,
    phase: 'Progressing',
  };
  const events: RolloutEvent[] = [];
  if (index >= plan.steps.length) {
    next.message = plan.analysis.metrics.length
      ? 'all steps done; promoting once the analysis passes'
      : 'all steps done; promoting';
    events.push(event(now, 'StepStarted', next.message, next));
    return { record: next, events };
  }
  const step = plan.steps[index];
  const before = canaryReplicas(plan, record);
  if (step.kind === 'setWeight') next.weight = step.weight;
  if (step.kind === 'setCanaryScale')
    next.canaryScale = step.matchTrafficWeight ? undefined : { replicas: step.replicas, weight: step.weight };
  if (step.kind === 'pause' && step.durationMs === undefined) next.pause = { kind: 'step', since: now };
  if (next.pause) next.phase = 'Paused';
  if (next.weight > 0 && next.analysis.startedAt === undefined && plan.analysis.metrics.length > 0)
    next.analysis = { ...next.analysis, startedAt: now };
  if (canaryReplicas(plan, next) > before) next.progressDeadlineAt = now + plan.progressDeadlineMs;
  next.message = `step ${index + 1}/${plan.steps.length}: ${describeStep(step)}`;
  events.push(event(now, 'StepStarted', next.message, next));
  if (next.weight !== record.weight)
    events.push(event(now, 'WeightChanged', `canary weight ${record.weight}% → ${next.weight}%`, next));
  if (next.phase === 'Paused') events.push(event(now, 'Paused', `paused at step ${index + 1} until promoted`, next));
  return { record: next, events };
}

/** Starts rolling back: the router goes to stable first, then the canary loses its pods. */
export function startRollback(
  record: RolloutRecord,
  reason: string,
  now: number,
  aborted = false,
): { record: RolloutRecord; events: RolloutEvent[] } {
  // weight 0: the router's target from now on, so verifying it tells when the traffic has left the canary.
  const next: RolloutRecord = {
    ...record,
    phase: 'RollingBack',
    weight: 0,
    pause: undefined,
    promotion: undefined,
    rollback: { since: now, reason, aborted },
    message: `rolling back: ${reason}`,
  };
  return { record: next, events: [event(now, 'RollingBack', next.message, next)] };
}

/** Starts promoting (after the last step, or `promote --full`). */
export function startPromotion(
  record: RolloutRecord,
  now: number,
  full: boolean,
): { record: RolloutRecord; events: RolloutEvent[] } {
  // A fresh progress deadline for scaling to full size: the one from the last weight step may have passed long ago.
  const next: RolloutRecord = {
    ...record,
    phase: 'Promoting',
    pause: undefined,
    progressDeadlineAt: undefined,
    promotion: { since: now, full, stage: 'scaleUp' },
    message: 'promoting: scaling the new revision to full size',
  };
  return {
    record: next,
    events: [
      event(now, 'Promoting', full ? 'promoting now (promote --full): steps and analysis skipped' : next.message, next),
    ],
  };
}

function canaryReady(plan: CompiledPlan, record: RolloutRecord, observed: StrategyObserved): boolean {
  const want = canaryReplicas(plan, record);
  return (observed.canary?.readyReplicas ?? 0) >= want && (observed.canary?.specReplicas ?? 0) >= want;
}

function stepComplete(plan: CompiledPlan, record: RolloutRecord, observed: StrategyObserved, now: number): boolean {
  const step = plan.steps[record.stepIndex];
  switch (step.kind) {
    case 'setWeight':
      return canaryReady(plan, record, observed) && observed.routerAtWeight !== false;
    case 'setCanaryScale':
      return canaryReady(plan, record, observed);
    case 'pause':
      return step.durationMs !== undefined && now >= record.stepStartedAt + step.durationMs;
    case 'analyze':
      return now >= record.stepStartedAt + step.minMs && latestVerdict(record)?.decision === 'pass';
  }
}

type Outcome = { record: RolloutRecord; events: RolloutEvent[] };

/** Failed analysis, a missed deadline, or analysis inconclusive for too long: the reasons to stop. */
function checkGuards(plan: CompiledPlan, record: RolloutRecord, input: DecideInput): Outcome | undefined {
  const { analysis, now, observed } = input;
  if (analysis?.decision === 'fail') return startRollback(record, `analysis failed: ${analysis.reason}`, now);
  const want = canaryReplicas(plan, record);
  if (
    record.progressDeadlineAt !== undefined &&
    now >= record.progressDeadlineAt &&
    (observed.canary?.readyReplicas ?? 0) < want
  ) {
    return startRollback(
      record,
      `the canary's pods were not ready within the progress deadline (${formatDuration(plan.progressDeadlineMs)}): ${observed.canary?.readyReplicas ?? 0}/${want} ready`,
      now,
    );
  }
  if (
    record.phase === 'Progressing' &&
    analyzeExpired(plan, record, now) &&
    latestVerdict(record)?.decision !== 'pass'
  ) {
    return inconclusive(
      plan,
      record,
      `the analysis did not pass within ${formatDuration(now - record.stepStartedAt)}`,
      now,
    );
  }
  const since = record.analysis.inconclusiveSince;
  if (record.phase === 'Progressing' && since !== undefined && now - since >= plan.analysis.inconclusiveAfterMs) {
    return inconclusive(
      plan,
      record,
      `the analysis has been inconclusive for ${formatDuration(now - since)}: ${analysis?.reason ?? latestVerdict(record)?.reason ?? 'no data'}`,
      now,
    );
  }
  return undefined;
}

/** Whether the current step is an analyze step whose max has passed. */
function analyzeExpired(plan: CompiledPlan, record: RolloutRecord, now: number): boolean {
  const step = plan.steps[record.stepIndex];
  return step?.kind === 'analyze' && step.maxMs !== undefined && now >= record.stepStartedAt + step.maxMs;
}

function inconclusive(plan: CompiledPlan, record: RolloutRecord, why: string, now: number): Outcome {
  if (plan.analysis.onInconclusive === 'rollback') return startRollback(record, why, now);
  const next: RolloutRecord = {
    ...record,
    phase: 'Paused',
    pause: { kind: 'inconclusive', since: now },
    message: `paused: ${why}`,
  };
  return { record: next, events: [event(now, 'Paused', next.message, next)] };
}

/** Tracks how long the combined verdict has been inconclusive without a break. */
function trackInconclusive(record: RolloutRecord, input: DecideInput): RolloutRecord {
  const a = input.analysis;
  if (!a) return record;
  const since = a.decision === 'inconclusive' ? (record.analysis.inconclusiveSince ?? input.now) : undefined;
  if (since === record.analysis.inconclusiveSince) return record;
  return { ...record, analysis: { ...record.analysis, inconclusiveSince: since } };
}

function decideProgressing(plan: CompiledPlan, record: RolloutRecord, input: DecideInput): Outcome {
  const guard = checkGuards(plan, record, input);
  if (guard) return guard;
  const { observed, now } = input;
  if (record.stepIndex >= plan.steps.length) {
    const verdict = latestVerdict(record);
    if (plan.analysis.metrics.length === 0 || verdict?.decision === 'pass') return startPromotion(record, now, false);
    const message = `all steps done; waiting for the analysis to pass (${verdict ? `${verdict.decision}: ${verdict.reason}` : 'no verdict yet'})`;
    return { record: message === record.message ? record : { ...record, message }, events: [] };
  }
  // One step per reconcile: each step's condition is checked against what was observed for it.
  if (stepComplete(plan, record, observed, now)) return enterStep(plan, record, record.stepIndex + 1, now);
  return { record, events: [] };
}

function decidePaused(plan: CompiledPlan, record: RolloutRecord, input: DecideInput): Outcome {
  const { analysis, now } = input;
  if (analysis?.decision === 'fail') return startRollback(record, `analysis failed: ${analysis.reason}`, now);
  // An analyze step that ran out of time waits for a pass; a data outage waits for data.
  const resumeOn = analyzeExpired(plan, record, now) ? ['pass'] : ['pass', 'continue'];
  if (record.pause?.kind === 'inconclusive' && analysis && resumeOn.includes(analysis.decision)) {
    const next: RolloutRecord = {
      ...record,
      phase: 'Progressing',
      pause: undefined,
      message: `resumed: the analysis is conclusive again (${analysis.decision})`,
    };
    return { record: next, events: [event(now, 'Resumed', next.message, next)] };
  }
  return { record, events: [] };
}

function decidePromoting(plan: CompiledPlan, record: RolloutRecord, input: DecideInput): Outcome {
  const { observed, now } = input;
  const promotion = record.promotion ?? { since: now, full: false, stage: 'scaleUp' as const };
  const stage = (
    s: NonNullable<RolloutRecord['promotion']>['stage'],
    message: string,
    changes: Partial<RolloutRecord> = {},
  ): Outcome => {
    const next: RolloutRecord = { ...record, ...changes, promotion: { ...promotion, stage: s }, message };
    return { record: next, events: [event(now, 'Promoting', message, next)] };
  };
  const canary = record.revisions.canary;
  switch (promotion.stage) {
    case 'scaleUp': {
      const ready = (observed.canary?.readyReplicas ?? 0) >= plan.replicas;
      if (!ready) {
        if (record.progressDeadlineAt !== undefined && now >= record.progressDeadlineAt)
          return startRollback(
            record,
            `the new revision did not reach ${plan.replicas} ready pods within the progress deadline`,
            now,
          );
        const deadline = record.progressDeadlineAt ?? now + plan.progressDeadlineMs;
        return deadline === record.progressDeadlineAt
          ? { record, events: [] }
          : { record: { ...record, progressDeadlineAt: deadline }, events: [] };
      }
      if (plan.router.kind === 'replicaRatio') return finishPromotion(plan, record, now);
      return stage('shift', 'promoting: all traffic to the new revision', {
        weight: 100,
        progressDeadlineAt: undefined,
      });
    }
    case 'shift':
      return observed.routerAtWeight === false
        ? { record, events: [] }
        : stage('switch', 'promoting: the stable Service now selects the new revision');
    case 'switch':
      return observed.stableServiceRevision === canary
        ? stage('reset', 'promoting: traffic back to the stable Service', { weight: 0 })
        : { record, events: [] };
    case 'reset':
      return observed.routerAtWeight === false ? { record, events: [] } : finishPromotion(plan, record, now);
  }
}

function finishPromotion(plan: CompiledPlan, record: RolloutRecord, now: number): Outcome {
  const next: RolloutRecord = {
    ...record,
    phase: 'Succeeded',
    outcome: 'promoted',
    weight: 0,
    canaryScale: undefined,
    promotion: undefined,
    progressDeadlineAt: undefined,
    previousStable: record.revisions.stable,
    revisions: { ...record.revisions, stable: record.revisions.canary },
    // replicaRatio's Service selects every revision: the old one must go now, not after a delay.
    scaleDownAt: record.revisions.stable
      ? now + (plan.router.kind === 'replicaRatio' ? 0 : plan.scaleDownDelayMs)
      : undefined,
    message: `promoted: revision ${record.revisions.canary} is stable`,
  };
  return { record: next, events: [event(now, 'Promoted', next.message, next)] };
}

/** After promotion: once the previous stable revision has been scaled down, nothing is left to do. */
function settlePromoted(record: RolloutRecord, input: DecideInput): Outcome {
  if (record.scaleDownAt === undefined || input.now < record.scaleDownAt) return { record, events: [] };
  const prev = input.observed.others.find((o) => o.revision === record.previousStable);
  if (prev && prev.specReplicas > 0) return { record, events: [] };
  return { record: { ...record, scaleDownAt: undefined }, events: [] };
}

function decideRollingBack(plan: CompiledPlan, record: RolloutRecord, input: DecideInput): Outcome {
  const { observed, now } = input;
  const canaryGone = (observed.canary?.specReplicas ?? 0) === 0;
  if (!canaryGone || observed.routerAtWeight === false) return { record, events: [] };
  const aborted = record.rollback?.aborted ?? false;
  const next: RolloutRecord = {
    ...record,
    phase: 'RolledBack',
    outcome: aborted ? 'aborted' : 'rolledBack',
    weight: 0,
    canaryScale: undefined,
    progressDeadlineAt: undefined,
    message: `${aborted ? 'aborted' : 'rolled back'}: ${record.rollback?.reason ?? 'unknown reason'}; all traffic on ${record.revisions.stable ?? 'the stable revision'}`,
  };
  return { record: next, events: [event(now, 'RolledBack', next.message, next)] };
}

function decideFirstDeploy(plan: CompiledPlan, record: RolloutRecord, input: DecideInput): Outcome {
  const { observed, now } = input;
  if ((observed.canary?.readyReplicas ?? 0) >= plan.replicas) {
    const next: RolloutRecord = {
      ...record,
      phase: 'Succeeded',
      outcome: 'promoted',
      revisions: { ...record.revisions, stable: record.revisions.canary },
      progressDeadlineAt: undefined,
      message: `first deploy: revision ${record.revisions.canary} is stable`,
    };
    return { record: next, events: [event(now, 'Promoted', next.message, next)] };
  }
  if (record.progressDeadlineAt !== undefined && now >= record.progressDeadlineAt) {
    const next: RolloutRecord = {
      ...record,
      phase: 'Failed',
      outcome: 'failed',
      message: `first deploy failed: ${observed.canary?.readyReplicas ?? 0}/${plan.replicas} pods ready within the progress deadline (${formatDuration(plan.progressDeadlineMs)})`,
    };
    return { record: next, events: [event(now, 'Failed', next.message, next)] };
  }
  if (record.progressDeadlineAt === undefined)
    return { record: { ...record, progressDeadlineAt: now + plan.progressDeadlineMs }, events: [] };
  return { record, events: [] };
}

function decidePending(plan: CompiledPlan, record: RolloutRecord, now: number): Outcome {
  if (record.revisions.stable === record.revisions.canary) {
    const next: RolloutRecord = {
      ...record,
      phase: 'Succeeded',
      outcome: 'promoted',
      message: `revision ${record.revisions.canary} is already stable; nothing to do`,
    };
    return { record: next, events: [event(now, 'Promoted', next.message, next)] };
  }
  if (record.firstDeploy) {
    const next: RolloutRecord = {
      ...record,
      phase: 'Progressing',
      stepStartedAt: now,
      progressDeadlineAt: now + plan.progressDeadlineMs,
      message: `first deploy of ${record.app}: revision ${record.revisions.canary} at ${plan.replicas} replicas, no analysis`,
    };
    return { record: next, events: [event(now, 'StepStarted', next.message, next)] };
  }
  return enterStep(plan, { ...record, phase: 'Progressing' }, 0, now);
}

const TERMINAL: readonly Phase[] = ['Succeeded', 'RolledBack', 'Failed'];

export const canaryStrategy: Strategy = {
  kind: 'canary',

  decide(input: DecideInput): DecideOutput {
    const { plan, now } = input;
    const record = trackInconclusive(input.record, input);
    if (record.phase === 'Succeeded') return settlePromoted(record, input);
    if (TERMINAL.includes(record.phase)) return { record, events: [] };
    if (record.phase === 'Pending') return decidePending(plan, record, now);
    if (record.firstDeploy) return decideFirstDeploy(plan, record, input);
    switch (record.phase) {
      case 'Progressing':
        return decideProgressing(plan, record, input);
      case 'Paused':
        return decidePaused(plan, record, input);
      case 'Promoting':
        return decidePromoting(plan, record, input);
      case 'RollingBack':
        return decideRollingBack(plan, record, input);
      default:
        return { record, events: [] };
    }
  },

  desired(plan: CompiledPlan, record: RolloutRecord, observed: StrategyObserved, now: number): DesiredState {
    const canary = record.revisions.canary;
    const stable = record.revisions.stable;
    const ratio = plan.router.kind === 'replicaRatio';
    // A promoted rollout's previous stable keeps its pods until scaleDownAt, so undo is instant.
    const keep = (rev: string): boolean => rev === record.previousStable && (record.scaleDownAt ?? 0) > now;
    const scaleToZero = observed.others.filter((o) => o.specReplicas > 0 && !keep(o.revision)).map((o) => o.revision);
    const stableService = ratio ? '*' : (stable ?? canary);
    if (record.firstDeploy || (record.phase === 'Succeeded' && stable === canary)) {
      return {
        replicaSets: [{ revision: canary, replicas: plan.replicas, role: 'stable' }],
        scaleToZero,
        stableServiceRevision: ratio ? '*' : canary,
        canaryServiceRevision: ratio ? undefined : canary,
        routerWeight: 0,
        scaleDownAfterRoute: false,
      };
    }
    const base = {
      scaleToZero,
      stableServiceRevision: stableService,
      canaryServiceRevision: ratio ? undefined : canary,
    };
    if (!stable) return { ...base, replicaSets: [], routerWeight: 0, scaleDownAfterRoute: true };
    if (record.phase === 'RollingBack' || record.phase === 'RolledBack' || record.phase === 'Failed') {
      // replicaRatio shifts traffic by pods: the stable revision must be back at full strength first.
      const stableBack = (observed.stable?.readyReplicas ?? 0) >= plan.replicas;
      const canaryLeft = ratio && !stableBack ? (observed.canary?.specReplicas ?? 0) : 0;
      return {
        ...base,
        replicaSets: [
          { revision: stable, replicas: plan.replicas, role: 'stable' },
          { revision: canary, replicas: canaryLeft, role: 'canary' },
        ],
        routerWeight: 0,
        scaleDownAfterRoute: true,
      };
    }
    if (record.phase === 'Promoting') {
      const stage = record.promotion?.stage ?? 'scaleUp';
      return {
        ...base,
        stableServiceRevision: ratio ? '*' : stage === 'switch' || stage === 'reset' ? canary : stable,
        replicaSets: [
          { revision: stable, replicas: ratio ? stableReplicas(plan, record) : plan.replicas, role: 'stable' },
          { revision: canary, replicas: plan.replicas, role: 'canary' },
        ],
        routerWeight: stage === 'scaleUp' ? 'hold' : record.weight,
        scaleDownAfterRoute: false,
      };
    }
    // Progressing or Paused: the canary gets its pods first, traffic once they are ready.
    const ready = canaryReady(plan, record, observed);
    return {
      ...base,
      replicaSets: [
        { revision: stable, replicas: stableReplicas(plan, record), role: 'stable' },
        { revision: canary, replicas: canaryReplicas(plan, record), role: 'canary' },
      ],
      routerWeight: ready ? record.weight : 'hold',
      scaleDownAfterRoute: true,
    };
  },

  nextWakeup(plan: CompiledPlan, record: RolloutRecord, now: number): number {
    const at: number[] = [];
    if (record.phase === 'Succeeded')
      return record.scaleDownAt !== undefined ? Math.max(now, record.scaleDownAt) : Infinity;
    if (TERMINAL.includes(record.phase)) return Infinity;
    if (analysisActive(plan, record)) at.push(Math.max(now, (record.analysis.lastAt ?? 0) + plan.analysis.intervalMs));
    if (record.progressDeadlineAt !== undefined) at.push(record.progressDeadlineAt);
    const step = plan.steps[record.stepIndex];
    const waitingOnTimerOnly =
      record.phase === 'Progressing' && step !== undefined && (step.kind === 'pause' || step.kind === 'analyze');
    if (record.phase === 'Progressing' && step?.kind === 'pause' && step.durationMs !== undefined)
      at.push(record.stepStartedAt + step.durationMs);
    if (record.phase === 'Progressing' && step?.kind === 'analyze') {
      at.push(record.stepStartedAt + step.minMs);
      if (step.maxMs !== undefined) at.push(record.stepStartedAt + step.maxMs);
    }
    // Converging (pods, router, Services) is watched by polling; a timed wait is not.
    if (record.phase !== 'Paused' && !waitingOnTimerOnly) at.push(now + CONVERGE_POLL_MS);
    return at.length ? Math.max(now, Math.min(...at)) : Infinity;
  },
};
