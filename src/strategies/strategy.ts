/**
 * A deployment strategy: pure functions of (plan, record, observed cluster, analysis) — no I/O, no
 * clock. The engine asks a strategy what the record should become (`decide`), what the cluster should
 * look like for a committed record (`desired`), and when to look again (`nextWakeup`). Any worker
 * asking with the same inputs gets the same answers; that is what makes reconciles idempotent.
 */
import type { Decision as VerdictDecision, Verdict } from '../analysis/types';
import type { CompiledPlan } from '../plan/compile';
import type { RolloutEvent, RolloutRecord } from '../engine/record';

/** One revision's ReplicaSet as the strategy needs to see it. */
export interface RevisionState {
  revision: string;
  specReplicas: number;
  readyReplicas: number;
}

/** The cluster, reduced to what strategies decide on. */
export interface StrategyObserved {
  stable?: RevisionState;
  canary?: RevisionState;
  /** Other revisions of the app that still have replicas (a previous stable, an orphaned canary). */
  others: RevisionState[];
  /** Which revision the stable Service selects ('*' = the whole app, as with replicaRatio). */
  stableServiceRevision?: string;
  /** The router's answer to verify(record.weight): true, false, or undefined (cannot tell). */
  routerAtWeight?: boolean;
}

/** The combined analysis verdict of this reconcile (absent when no measurement was due). */
export interface AnalysisOutcome {
  decision: VerdictDecision;
  reason: string;
  verdicts: Verdict[];
}

export interface DecideInput {
  plan: CompiledPlan;
  record: RolloutRecord;
  observed: StrategyObserved;
  analysis?: AnalysisOutcome;
  now: number;
}

export interface DecideOutput {
  /** The record to commit (the same object when nothing changed). */
  record: RolloutRecord;
  events: RolloutEvent[];
}

/** One ReplicaSet the cluster should have. */
export interface DesiredReplicaSet {
  revision: string;
  replicas: number;
  role: 'stable' | 'canary';
}

/**
 * What the cluster should look like now, with the order constraints that keep the invariants: traffic
 * moves only to ready pods, and away from a revision before it loses pods.
 */
export interface DesiredState {
  replicaSets: DesiredReplicaSet[];
  /** Revisions to scale to zero (after their traffic is gone). */
  scaleToZero: string[];
  /** The revision the stable Service selects; '*' selects the whole app (replicaRatio). */
  stableServiceRevision: string;
  /** The canary Service's revision (routers that use one). */
  canaryServiceRevision?: string;
  /**
   * Canary traffic percentage for the router, or 'hold' to leave the router as it is (the canary's
   * pods are not ready for more traffic yet).
   */
  routerWeight: number | 'hold';
  /** Scale the canary down only once the router no longer sends it more than `routerWeight`. */
  scaleDownAfterRoute: boolean;
}

export interface Strategy {
  readonly kind: string;
  /** The next record for this reconcile (pure). */
  decide(input: DecideInput): DecideOutput;
  /** The cluster a committed record asks for (pure; the same for every worker). */
  desired(plan: CompiledPlan, record: RolloutRecord, observed: StrategyObserved, now: number): DesiredState;
  /** When this rollout needs looking at again, at the latest (ms since the epoch). */
  nextWakeup(plan: CompiledPlan, record: RolloutRecord, now: number): number;
}
