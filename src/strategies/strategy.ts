/**
 * The deployment strategy extension point (DESIGN §1, §4). A strategy is pure — functions of (plan,
 * record, observed cluster, analysis), no I/O and no clock — and answers everything the engine, the API
 * view and the CLI need: what the record becomes (`decide`, `operate`), what the cluster should look like
 * (`desired`, `traffic`), when to look again (`nextWakeup`), whether analysis runs (`analysisActive`)
 * and how far it got (`describe`). Any worker asking with the same inputs gets the same answers; that is
 * what makes reconciles idempotent. One folder per strategy under src/strategies/, one line in
 * registry.ts.
 */
import { type FieldProblem } from '../errors';
import type { z } from 'zod';
import type { Decision as VerdictDecision, Verdict } from '../analysis/types';
import type { ObservedDeployment } from '../kube/deploymentState';
import type { PodSummary } from '../kube/pods';
import type { RouterCapabilities } from '../kube/routers/trafficRouter';
import type { RouterRef } from '../kube/routers/registry';
import type { CompiledPlan } from '../plan/compile';
import type { RolloutEvent, RolloutRecord, StrategyStateBase } from '../engine/record';
import type { ProgressView } from './progress';
import type { Traffic } from './traffic';

/** The part a revision plays in a rollout; each role has a Service: `<service>`, `<service>-canary`, `<service>-preview`. */
export type RevisionRole = 'stable' | 'canary' | 'preview';

/** One revision's ReplicaSet as strategies see it. */
export interface RevisionState {
  revision: string;
  specReplicas: number;
  readyReplicas: number;
  /** Its pods as last observed, with their problems (absent where the engine did not look). */
  pods?: readonly PodSummary[];
}

/** The cluster, reduced to what strategies decide on. */
export interface StrategyObserved {
  /** Every ReplicaSet of the app, oldest first. */
  revisions: readonly RevisionState[];
  /** Which revision each role's Service selects ('*' = every revision of the app); absent when it does not exist. */
  services: Partial<Record<RevisionRole, string>>;
  /** The router's answer to verify(traffic(record)): true, false, or undefined (it cannot tell, or was not asked). */
  trafficVerified?: boolean;
  /**
   * The router confirmed the traffic this rollout asks for, and now does not although the rollout did
   * not change it: someone else edited the routing (a route edited by hand). Ramp does not overwrite it.
   */
  routeEdited?: boolean;
  /** The Deployment an adoption or a release hands the app over from or to, when one is under way (absent: gone, or not read). */
  deployment?: ObservedDeployment;
  /** Each role's Service's whole selector, where a handover needs more than the revision it selects. */
  serviceSelectors?: Partial<Record<RevisionRole, Readonly<Record<string, string>>>>;
}

/** The combined analysis verdict of this reconcile (absent when no measurement was due). */
export interface AnalysisOutcome {
  decision: VerdictDecision;
  reason: string;
  verdicts: Verdict[];
}

/** Conditions a ReplicaSet's shrink waits for (the action planner holds the scale-down until they hold). */
export interface ShrinkConstraint {
  /** The router confirms the desired traffic (or cannot tell): no revision loses pods while it is sent more than it should get. */
  traffic?: boolean;
  /** At least `pods` pods of `revision` are ready: a revision is replaced only once its replacement can serve. */
  ready?: { revision: string; pods: number };
}

/** One ReplicaSet the cluster should have. */
export interface DesiredReplicaSet {
  revision: string;
  role: RevisionRole;
  replicas: number;
  /** When `replicas` is fewer than it has now: shrink only once these hold. */
  shrinkAfter?: ShrinkConstraint;
}

/**
 * What the cluster should look like now. Revisions of the app not listed are scaled to zero. The engine
 * is the one writer of Service selectors: `services` says which revision each role's Service selects.
 */
export interface DesiredState {
  replicaSets: DesiredReplicaSet[];
  services: Partial<Record<RevisionRole, string>>;
  /** What the router should be told, or 'hold' to leave it as it is (the new pods are not ready for more yet). */
  traffic: Traffic | 'hold';
  /**
   * Revisions whose replicas are left as they are (the previous stable during the scale-down delay after
   * a promotion); the engine still annotates such a revision `ramp.dev/role: old` (src/engine/revisionHistory.ts).
   */
  retain?: string[];
}

/** A record with its strategy state narrowed to one strategy's. */
export type StrategyRecord<S extends StrategyStateBase> = Omit<RolloutRecord, 'strategy'> & { strategy: S };

/** A record change and the events that tell of it. */
export interface Transition<S extends StrategyStateBase = StrategyStateBase> {
  record: StrategyRecord<S>;
  events: RolloutEvent[];
  /** For an operation asked of a rollout already where it would take it (pause a paused one): why nothing changed. */
  unchanged?: string;
}

/** What decide() gets. */
export interface DecideInput<S extends StrategyStateBase = StrategyStateBase> {
  record: StrategyRecord<S>;
  observed: StrategyObserved;
  analysis?: AnalysisOutcome;
  now: number;
}

/** Operations people and pipelines send (retry is the engine's: it starts a new rollout). */
export type Operation = 'promote' | 'promoteFull' | 'abort' | 'pause' | 'resume';

/** What check() sees of the rest of the plan. */
export interface PlanFacts {
  replicas: number;
  metricCount: number;
  /** The built-in metrics (errorRate, latency): they count the new revision's requests, so they never pass one no request reached. */
  requestMetricCount: number;
  /** How often the analysis looks (ms): no window it judges is shorter. */
  analysisIntervalMs: number;
}

/** A plan together with one strategy's compiled block, the strategy's `this` for every call. */
export interface StrategyPlan<C> {
  plan: CompiledPlan;
  config: C;
  capabilities: RouterCapabilities;
}

/**
 * One deployment strategy. `C` is its compiled plan block, `S` its state in the record. Every method is
 * pure; operations that do not fit throw InvalidOperationError.
 */
export interface Strategy<C = unknown, S extends StrategyStateBase = StrategyStateBase> {
  /** The key under `spec.strategy`. */
  readonly key: string;
  readonly description: string;
  /** The roles whose Services this strategy may point at a revision (the engine reads and writes only these). */
  readonly serviceRoles: readonly RevisionRole[];
  /** The role whose Service the router sends the new revision's requests to (canary; preview for blue-green). */
  readonly routedRole: RevisionRole;
  /** `spec.strategy.<key>` as users write it; errors name their field paths. */
  readonly specSchema: z.ZodType;
  /** This strategy's state in the record, validated whenever a record is read. */
  readonly stateSchema: z.ZodType<S>;
  /** Problems that need the rest of the plan or the router's capabilities; paths relative to `spec.strategy.<key>`. */
  check(spec: unknown, facts: PlanFacts, capabilities: RouterCapabilities): FieldProblem[];
  /** The router the block names (the default when it names none). */
  router(spec: unknown): RouterRef;
  /** The block compiled once (durations in milliseconds). */
  compile(spec: unknown): C;
  /** The state of a rollout just created. */
  initialState(p: StrategyPlan<C>): S;
  /** The next record for this reconcile. */
  decide(p: StrategyPlan<C>, input: DecideInput<S>): Transition<S>;
  /** The cluster a committed record asks for (the same for every worker). */
  desired(p: StrategyPlan<C>, record: StrategyRecord<S>, observed: StrategyObserved, now: number): DesiredState;
  /** What the router should be at for this record (what verify checks before decide). */
  traffic(p: StrategyPlan<C>, record: StrategyRecord<S>): Traffic;
  /** When this rollout needs looking at again, at the latest (ms since the epoch; Infinity: never). */
  nextWakeup(p: StrategyPlan<C>, record: StrategyRecord<S>, now: number): number;
  /** The record after an operation, with its events. */
  operate(p: StrategyPlan<C>, record: StrategyRecord<S>, op: Operation, now: number): Transition<S>;
  /** Whether background analysis runs now. */
  analysisActive(p: StrategyPlan<C>, record: StrategyRecord<S>): boolean;
  /**
   * Every split the plan's steps will ask the router for, known before the rollout starts (the new
   * revision as `planned`): what pre-flight checks the router can apply. Absent: only weights.
   */
  plannedTraffic?(p: StrategyPlan<C>): Traffic[];
  /** How far the rollout got, strategy-neutral, for the API view, the CLI and `lint`. */
  describe(p: StrategyPlan<C>, record: StrategyRecord<S> | undefined): ProgressView;
}
