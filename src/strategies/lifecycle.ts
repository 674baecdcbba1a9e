/**
 * The parts of a rollout's life every strategy shares, as pure record transitions: a new rollout's
 * start (nothing to do, or a first deploy straight to full size), rollback and its end, promotion's end
 * and the scale-down delay after it, analysis inconclusive for too long, and the operations that do not
 * depend on the strategy (abort, pause, resume). Strategies compose these with their own steps.
 */
import { InvalidOperationError } from '../errors';
import { isCertainFailure, type PodSummary } from '../kube/pods';
import { combineVerdicts } from '../analysis/verdict';
import type { Phase, RolloutEvent, StrategyStateBase } from '../engine/record';
import { isTerminal } from '../engine/phase';
import type { CompiledPlan } from '../plan/compile';
import { formatDuration } from '../plan/duration';
import type {
  AnalysisOutcome,
  DecideInput,
  Operation,
  RevisionState,
  StrategyObserved,
  StrategyRecord,
  Transition,
} from './strategy';

/** An event of `type` with `message`, in the record's phase (step and weight are filled in by the registry). */
export function note(now: number, type: RolloutEvent['type'], message: string, phase?: Phase): RolloutEvent {
  return phase ? { at: now, type, message, phase } : { at: now, type, message };
}

/** No change. */
export function unchanged<S extends StrategyStateBase>(record: StrategyRecord<S>): Transition<S> {
  return { record, events: [] };
}

/** A new message and no event (the same record when the message is already that). */
export function withMessage<S extends StrategyStateBase>(record: StrategyRecord<S>, message: string): Transition<S> {
  return { record: message === record.message ? record : { ...record, message }, events: [] };
}

/** A transition to `changes`, told by one event of `type` carrying the new message. */
export function transition<S extends StrategyStateBase>(
  record: StrategyRecord<S>,
  changes: Partial<StrategyRecord<S>>,
  type: RolloutEvent['type'],
  now: number,
): Transition<S> {
  const next: StrategyRecord<S> = { ...record, ...changes };
  return { record: next, events: [note(now, type, next.message, next.phase)] };
}

/** The observed ReplicaSet of `revision`. */
export function revisionState(observed: StrategyObserved, revision: string | undefined): RevisionState | undefined {
  return revision === undefined ? undefined : observed.revisions.find((r) => r.revision === revision);
}

/** Ready pods of `revision` (0 when it has no ReplicaSet). */
export function readyPods(observed: StrategyObserved, revision: string | undefined): number {
  return revisionState(observed, revision)?.readyReplicas ?? 0;
}

/** Whether `revision` has at least `pods` pods asked for and ready. */
export function podsReady(observed: StrategyObserved, revision: string | undefined, pods: number): boolean {
  const rs = revisionState(observed, revision);
  return (rs?.readyReplicas ?? 0) >= pods && (rs?.specReplicas ?? 0) >= pods;
}

/** The combined verdict of the latest measurement of every metric. */
export function latestVerdict<S extends StrategyStateBase>(
  record: StrategyRecord<S>,
): ReturnType<typeof combineVerdicts> | undefined {
  const verdicts = Object.values(record.analysis.metrics).flatMap((m) => (m.verdict ? [m.verdict] : []));
  return verdicts.length ? combineVerdicts(verdicts) : undefined;
}

/**
 * Whether the analysis passes on a look taken at or after `since` (the step that would end began then):
 * a pass from before — say, the last look before Prometheus went away — never promotes.
 */
export function passedSince<S extends StrategyStateBase>(record: StrategyRecord<S>, since: number): boolean {
  return latestVerdict(record)?.decision === 'pass' && (record.analysis.lastAt ?? -Infinity) >= since;
}

/** The first pod of `revision` that certainly cannot run (its image cannot be pulled, it keeps crashing). */
export function failingPod(observed: StrategyObserved, revision: string | undefined): PodSummary | undefined {
  return revisionState(observed, revision)?.pods?.find((p) => isCertainFailure(p.problem));
}

/** `pod x cannot run: CrashLoopBackOff (exit code 1, 3 restarts); see kubectl logs -n ns x --previous` */
export function podFailureText(namespace: string, pod: PodSummary): string {
  const p = pod.problem;
  const detail = [
    p?.exitCode !== undefined ? `exit code ${p.exitCode}` : undefined,
    pod.restarts > 0 ? `${pod.restarts} restart${pod.restarts === 1 ? '' : 's'}` : undefined,
    // The kubelet's back-off message repeats the pod's name and uid; an image error's says what is missing.
    p?.message && p.reason !== 'CrashLoopBackOff' ? p.message.split('\n')[0].slice(0, 160) : undefined,
  ].filter(Boolean);
  const crashed = p?.reason === 'CrashLoopBackOff' || p?.exitCode !== undefined;
  const look = crashed
    ? `kubectl logs -n ${namespace} ${pod.name} --previous`
    : `kubectl describe pod -n ${namespace} ${pod.name}`;
  return `pod ${pod.name} cannot run: ${p?.reason ?? 'failing'}${detail.length ? ` (${detail.join(', ')})` : ''}; see ${look}`;
}

/**
 * A new pod that certainly cannot run ends the wait at once, not at the progress deadline: the rollout
 * rolls back (or pauses, as the plan says), naming the pod and why.
 */
export function podFailureGuard<S extends StrategyStateBase>(
  plan: CompiledPlan,
  record: StrategyRecord<S>,
  observed: StrategyObserved,
  now: number,
): Transition<S> | undefined {
  const pod = failingPod(observed, record.revisions.new);
  if (!pod) return undefined;
  const why = podFailureText(record.namespace, pod);
  if (plan.onPodFailure === 'rollback') return startRollback(record, why, now);
  if (record.phase === 'Paused') return undefined;
  const changes = { phase: 'Paused' as const, pause: { kind: 'podFailure' as const, since: now } };
  return transition(record, { ...changes, message: `paused: ${why}` }, 'Paused', now);
}

/**
 * A new rollout's first decision: nothing to do when its revision is already stable, straight to full
 * size when the app has no stable revision (a first deploy), else the strategy's own start.
 */
export function decidePending<S extends StrategyStateBase>(
  plan: CompiledPlan,
  record: StrategyRecord<S>,
  now: number,
  start: (record: StrategyRecord<S>) => Transition<S>,
): Transition<S> {
  const { stable, new: rev } = record.revisions;
  if (stable === rev) {
    const message = `revision ${rev} is already stable; nothing to do`;
    return transition(record, { phase: 'Succeeded', outcome: 'promoted', message }, 'Promoted', now);
  }
  if (record.firstDeploy) {
    const message = `first deploy of ${record.app}: revision ${rev} at ${plan.replicas} replicas, no analysis`;
    const deadline = now + plan.progressDeadlineMs;
    return transition(record, { phase: 'Progressing', progressDeadlineAt: deadline, message }, 'StepStarted', now);
  }
  return start({ ...record, phase: 'Progressing' });
}

/** A first deploy: promoted once every pod is ready, failed at the progress deadline. */
export function decideFirstDeploy<S extends StrategyStateBase>(
  plan: CompiledPlan,
  record: StrategyRecord<S>,
  observed: StrategyObserved,
  now: number,
): Transition<S> {
  const rev = record.revisions.new;
  const ready = readyPods(observed, rev);
  const failing = failingPod(observed, rev);
  if (failing) {
    const message = `first deploy failed: ${podFailureText(record.namespace, failing)}`;
    return transition(record, { phase: 'Failed', outcome: 'failed', message }, 'Failed', now);
  }
  if (ready >= plan.replicas) {
    const message = `first deploy: revision ${rev} is stable`;
    const revisions = { ...record.revisions, stable: rev };
    const changes = { phase: 'Succeeded' as const, outcome: 'promoted' as const, revisions, message };
    return transition(record, { ...changes, progressDeadlineAt: undefined }, 'Promoted', now);
  }
  if (record.progressDeadlineAt !== undefined && now >= record.progressDeadlineAt) {
    const within = formatDuration(plan.progressDeadlineMs);
    const message = `first deploy failed: ${ready}/${plan.replicas} pods ready within the progress deadline (${within})`;
    return transition(record, { phase: 'Failed', outcome: 'failed', message }, 'Failed', now);
  }
  if (record.progressDeadlineAt === undefined)
    return { record: { ...record, progressDeadlineAt: now + plan.progressDeadlineMs }, events: [] };
  return unchanged(record);
}

/** Starts rolling back; each strategy's desired state moves traffic to stable before the new revision loses a pod. */
export function startRollback<S extends StrategyStateBase>(
  record: StrategyRecord<S>,
  reason: string,
  now: number,
  aborted = false,
): Transition<S> {
  const changes = { phase: 'RollingBack' as const, pause: undefined, rollback: { since: now, reason, aborted } };
  return transition(record, { ...changes, message: `rolling back: ${reason}` }, 'RollingBack', now);
}

/**
 * The cause without its evidence (`analysis failed: errors` of `analysis failed: errors — canary 30%
 * errors …`): the evidence was told when the rollback began and is kept in `rollback.reason`.
 */
function headline(why: string): string {
  const cut = why.indexOf(' — ');
  return cut > 0 ? why.slice(0, cut) : why;
}

/** Ends a rollback once the strategy says the cluster is back on stable. */
export function finishRollback<S extends StrategyStateBase>(record: StrategyRecord<S>, now: number): Transition<S> {
  const aborted = record.rollback?.aborted ?? false;
  const why = headline(record.rollback?.reason ?? 'unknown reason');
  const on = record.revisions.stable ?? 'the stable revision';
  if (record.rollback?.failed) {
    const message = `failed: ${why}; all traffic on ${on}`;
    return transition(
      record,
      { phase: 'Failed', outcome: 'failed', progressDeadlineAt: undefined, message },
      'Failed',
      now,
    );
  }
  const message = `${aborted ? 'aborted' : 'rolled back'}: ${why}; all traffic on ${on}`;
  const changes = { phase: 'RolledBack' as const, outcome: aborted ? ('aborted' as const) : ('rolledBack' as const) };
  return transition(record, { ...changes, progressDeadlineAt: undefined, message }, 'RolledBack', now);
}

/**
 * Ramp could not carry the rollout on (a reconcile failed again and again): it rolls back — traffic to
 * stable before the new revision loses a pod, as any rollback — and ends Failed once the cluster is safe.
 */
export function failSafe<S extends StrategyStateBase>(
  record: StrategyRecord<S>,
  reason: string,
  now: number,
): Transition<S> {
  const t = startRollback(record, reason, now);
  const rollback = { since: now, reason, aborted: false, failed: true };
  const message = `failing safe: ${reason}; moving all traffic to stable`;
  return { record: { ...t.record, rollback, message }, events: [note(now, 'RollingBack', message, 'RollingBack')] };
}

/** Enters the Promoting phase (a strategy's promotion then moves through its own stages). */
export function startPromoting<S extends StrategyStateBase>(
  record: StrategyRecord<S>,
  now: number,
  full: boolean,
  changes: Partial<StrategyRecord<S>>,
): Transition<S> {
  // A fresh progress deadline for scaling to full size: the one from the last step may have passed long ago.
  const base = { phase: 'Promoting' as const, pause: undefined, progressDeadlineAt: undefined };
  const message = 'promoting: scaling the new revision to full size';
  const t = transition(record, { ...base, message, ...changes }, 'Promoting', now);
  if (full) t.events[0] = { ...t.events[0], message: 'promoting now (promote --full): steps and analysis skipped' };
  return t;
}

/**
 * The new revision is stable. The previous one keeps its pods for `scaleDownDelayMs` (0: at once), so an
 * undo in that window starts no pod.
 */
export function finishPromotion<S extends StrategyStateBase>(
  record: StrategyRecord<S>,
  now: number,
  scaleDownDelayMs: number,
  changes: Partial<StrategyRecord<S>> = {},
): Transition<S> {
  const { stable, new: rev } = record.revisions;
  const next: Partial<StrategyRecord<S>> = {
    phase: 'Succeeded',
    outcome: 'promoted',
    progressDeadlineAt: undefined,
    revisions: { new: rev, stable: rev, previousStable: stable },
    scaleDownAt: stable ? now + scaleDownDelayMs : undefined,
    message: `promoted: revision ${rev} is stable`,
    ...changes,
  };
  return transition(record, next, 'Promoted', now);
}

/** After promotion: once the previous stable revision has been scaled down, nothing is left to do. */
export function settlePromoted<S extends StrategyStateBase>(
  record: StrategyRecord<S>,
  observed: StrategyObserved,
  now: number,
): Transition<S> {
  if (record.scaleDownAt === undefined || now < record.scaleDownAt) return unchanged(record);
  if ((revisionState(observed, record.revisions.previousStable)?.specReplicas ?? 0) > 0) return unchanged(record);
  return { record: { ...record, scaleDownAt: undefined }, events: [] };
}

/** The phases a strategy decides itself, each given the record with inconclusive analysis tracked. */
export interface PhaseDecisions<S extends StrategyStateBase> {
  /** Leaving Pending: the strategy's first step. */
  start(record: StrategyRecord<S>): Transition<S>;
  Progressing(record: StrategyRecord<S>): Transition<S>;
  Paused(record: StrategyRecord<S>): Transition<S>;
  Promoting(record: StrategyRecord<S>): Transition<S>;
  RollingBack(record: StrategyRecord<S>): Transition<S>;
}

/**
 * One reconcile's decision: what every strategy does alike — settle a promotion, leave a finished
 * rollout alone, start a pending one, deploy an app that has no stable revision — else the strategy's
 * own decision for the phase.
 */
export function decideLifecycle<S extends StrategyStateBase>(
  plan: CompiledPlan,
  input: DecideInput<S>,
  decide: PhaseDecisions<S>,
): Transition<S> {
  const { now } = input;
  const record = trackInconclusive(input.record, input.analysis, now);
  if (record.phase === 'Succeeded') return settlePromoted(record, input.observed, now);
  if (isTerminal(record.phase)) return unchanged(record);
  if (record.phase === 'Pending') return decidePending(plan, record, now, (r) => decide.start(r));
  if (record.firstDeploy) return decideFirstDeploy(plan, record, input.observed, now);
  const edited = routeEditedGuard(record, input);
  if (edited) return edited;
  switch (record.phase) {
    case 'Progressing':
      return decide.Progressing(record);
    case 'Paused':
      return decide.Paused(record);
    case 'Promoting':
      return decide.Promoting(record);
    case 'RollingBack':
      return decide.RollingBack(record);
    default:
      return unchanged(record);
  }
}

/**
 * Someone else changed the routing while the rollout asked for it unchanged: the traffic each version got
 * is no longer the rollout's, so nothing is promoted on it, and Ramp does not overwrite a person's edit.
 * It pauses, says so, and leaves the route alone until resumed (a rollout already paused stays paused as
 * it was: the engine holds the route either way). A failed analysis still rolls back.
 */
function routeEditedGuard<S extends StrategyStateBase>(
  record: StrategyRecord<S>,
  input: DecideInput<S>,
): Transition<S> | undefined {
  if (!input.observed.routeEdited || input.analysis?.decision === 'fail') return undefined;
  if (record.phase !== 'Progressing') return undefined;
  const message =
    'paused: the routing was changed by someone else (the router no longer holds what Ramp wrote); Ramp leaves it as it is — undo the edit and resume, or resume to have Ramp write its routing again';
  const changes = { phase: 'Paused' as const, pause: { kind: 'routeEdited' as const, since: input.now }, message };
  return transition(record, changes, 'Paused', input.now);
}

/** Whether the previous stable revision still keeps its pods (the scale-down delay after a promotion). */
export function keepsPrevious<S extends StrategyStateBase>(record: StrategyRecord<S>, now: number): boolean {
  return record.revisions.previousStable !== undefined && (record.scaleDownAt ?? 0) > now;
}

/** Tracks how long the combined verdict has been inconclusive without a break. */
export function trackInconclusive<S extends StrategyStateBase>(
  record: StrategyRecord<S>,
  analysis: AnalysisOutcome | undefined,
  now: number,
): StrategyRecord<S> {
  if (!analysis) return record;
  const since = analysis.decision === 'inconclusive' ? (record.analysis.inconclusiveSince ?? now) : undefined;
  if (since === record.analysis.inconclusiveSince) return record;
  return { ...record, analysis: { ...record.analysis, inconclusiveSince: since } };
}

/** Analysis that cannot decide: pause until it can, or roll back, as the plan says. */
export function inconclusive<S extends StrategyStateBase>(
  plan: CompiledPlan,
  record: StrategyRecord<S>,
  why: string,
  now: number,
): Transition<S> {
  if (plan.analysis.onInconclusive === 'rollback') return startRollback(record, why, now);
  const changes = { phase: 'Paused' as const, pause: { kind: 'inconclusive' as const, since: now } };
  return transition(record, { ...changes, message: `paused: ${why}` }, 'Paused', now);
}

/** Inconclusive for longer than the plan allows, while progressing or judging after a switch (absent: not yet). */
export function inconclusiveTooLong<S extends StrategyStateBase>(
  plan: CompiledPlan,
  record: StrategyRecord<S>,
  analysis: AnalysisOutcome | undefined,
  now: number,
): Transition<S> | undefined {
  const since = record.analysis.inconclusiveSince;
  const judging = record.phase === 'Progressing' || record.phase === 'Promoting';
  if (!judging || since === undefined || now - since < plan.analysis.inconclusiveAfterMs) return undefined;
  const reason = analysis?.reason ?? latestVerdict(record)?.reason ?? 'no data';
  return inconclusive(
    plan,
    record,
    `the analysis has been inconclusive for ${formatDuration(now - since)}: ${reason}`,
    now,
  );
}

/** A paused-for-data rollout goes on once the analysis is conclusive again (`resumeOn`: the decisions that count). */
export function resumeWhenConclusive<S extends StrategyStateBase>(
  record: StrategyRecord<S>,
  analysis: AnalysisOutcome | undefined,
  now: number,
  resumeOn: readonly string[] = ['pass', 'continue'],
): Transition<S> {
  if (record.pause?.kind !== 'inconclusive' || !analysis || !resumeOn.includes(analysis.decision))
    return unchanged(record);
  const message = `resumed: the analysis is conclusive again (${analysis.decision})`;
  return transition(record, { phase: 'Progressing', pause: undefined, message }, 'Resumed', now);
}

/** An operation that finds the rollout already where it would take it: nothing changes, and it says so. */
export function already<S extends StrategyStateBase>(record: StrategyRecord<S>, why: string): Transition<S> {
  return { record, events: [], unchanged: why };
}

/** Refuses an operation that does not fit, saying why. */
export function refuse<S extends StrategyStateBase>(record: StrategyRecord<S>, op: Operation, why: string): never {
  throw new InvalidOperationError(record.id, op, record.phase, why);
}

/** The record after an operation, told by an Operation event (and the events of the change it made). */
export function operated<S extends StrategyStateBase>(t: Transition<S>, message: string, now: number): Transition<S> {
  return { record: t.record, events: [note(now, 'Operation', message, t.record.phase), ...t.events] };
}

/**
 * abort, pause and resume, which mean the same for every strategy; promote and promoteFull are each
 * strategy's own (undefined here).
 */
export function commonOperation<S extends StrategyStateBase>(
  record: StrategyRecord<S>,
  op: Operation,
  now: number,
): Transition<S> | undefined {
  if (op === 'abort' && record.phase === 'RollingBack') return already(record, 'it is already rolling back');
  if (op === 'pause' && record.phase === 'Paused') return already(record, 'it is already paused');
  if (op === 'resume' && record.phase === 'Progressing') return already(record, 'it is not paused: it is progressing');
  if (isTerminal(record.phase)) refuse(record, op, 'the rollout has finished');
  switch (op) {
    case 'abort':
      return operated(startRollback(record, 'aborted by request', now, true), 'abort: rolling back', now);
    case 'pause': {
      if (record.phase !== 'Progressing') refuse(record, op, 'only a progressing rollout can be paused');
      const changes = { phase: 'Paused' as const, pause: { kind: 'user' as const, since: now } };
      return operated(
        { record: { ...record, ...changes, message: 'paused by request' }, events: [] },
        'pause: paused by request',
        now,
      );
    }
    case 'resume': {
      if (record.phase !== 'Paused') refuse(record, op, 'the rollout is not paused');
      if (record.pause?.kind === 'step') refuse(record, op, 'it waits at a pause step: use promote to go on');
      const analysis = { ...record.analysis, inconclusiveSince: undefined };
      // What the router confirmed before is forgotten: after a route edit, resuming has Ramp write its routing again.
      const cluster = record.cluster && { ...record.cluster, verifiedTraffic: undefined };
      const next = {
        ...record,
        cluster,
        phase: 'Progressing' as const,
        pause: undefined,
        analysis,
        message: 'resumed by request',
      };
      return operated({ record: next, events: [] }, 'resume: progressing again', now);
    }
    default:
      return undefined;
  }
}
