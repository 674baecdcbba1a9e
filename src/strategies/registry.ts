/**
 * The deployment strategies, by the key under a plan's `spec.strategy`. Adding one is a folder under
 * src/strategies/ and one line here; the engine, the API and the CLI reach strategies only through
 * `bindStrategy`, which closes a strategy over one compiled plan and checks the record's state on the way in.
 */
import { InvalidRecordError } from '../errors';
import type { RolloutEvent, RolloutRecord, StrategyStateBase } from '../engine/record';
import type { RouterCapabilities } from '../kube/routers/trafficRouter';
import type { RouterRef } from '../kube/routers/registry';
import type { CompiledPlan } from '../plan/compile';
import { Registry } from '../util/registry';
import { blueGreenStrategy } from './blueGreen';
import { canaryStrategy } from './canary';
import { grayStrategy } from './gray';
import { rollingStrategy } from './rolling';
import { withHandover } from './handover';
import type { ProgressView } from './progress';
import type {
  AnalysisOutcome,
  DesiredState,
  Operation,
  RevisionRole,
  Strategy,
  StrategyObserved,
  StrategyPlan,
  StrategyRecord,
} from './strategy';
import type { Traffic } from './traffic';

export const strategies = new Registry<Strategy>('strategy');
strategies.register(canaryStrategy as unknown as Strategy);
strategies.register(blueGreenStrategy as unknown as Strategy);
strategies.register(rollingStrategy as unknown as Strategy);
strategies.register(grayStrategy as unknown as Strategy);

/** A registered strategy's plan block compiled: its key, its config, its router. */
export interface CompiledStrategy {
  key: string;
  config: unknown;
  router: RouterRef;
  capabilities: RouterCapabilities;
}

/** A strategy closed over one compiled plan: what the engine, the API and the CLI call. */
export interface BoundStrategy {
  readonly key: string;
  readonly serviceRoles: readonly RevisionRole[];
  readonly routedRole: RevisionRole;
  initialState(): StrategyStateBase;
  decide(input: { record: RolloutRecord; observed: StrategyObserved; analysis?: AnalysisOutcome; now: number }): {
    record: RolloutRecord;
    events: RolloutEvent[];
  };
  desired(record: RolloutRecord, observed: StrategyObserved, now: number): DesiredState;
  traffic(record: RolloutRecord): Traffic;
  nextWakeup(record: RolloutRecord, now: number): number;
  operate(
    record: RolloutRecord,
    op: Operation,
    now: number,
  ): { record: RolloutRecord; events: RolloutEvent[]; unchanged?: string };
  analysisActive(record: RolloutRecord): boolean;
  /** The splits the plan's steps will ask for (Strategy.plannedTraffic; [] when the strategy does not say). */
  plannedTraffic(): Traffic[];
  describe(record?: RolloutRecord): ProgressView;
  /** Checks a stored state: InvalidRecordError naming the field when it is not this strategy's. */
  checkState(record: RolloutRecord): void;
  /** The events with where the rollout is filled in where they do not say: its phase, step and the new revision's target share. */
  place(record: RolloutRecord, events: readonly RolloutEvent[]): RolloutEvent[];
}

function bind<C, S extends StrategyStateBase>(s: Strategy<C, S>, plan: CompiledPlan): BoundStrategy {
  const p: StrategyPlan<C> = { plan, config: plan.strategy.config as C, capabilities: plan.strategy.capabilities };
  const narrow = (record: RolloutRecord): StrategyRecord<S> => {
    const parsed = s.stateSchema.safeParse(record.strategy);
    if (!parsed.success)
      throw new InvalidRecordError(
        record.id,
        parsed.error.issues.map((i) => `strategy.${i.path.join('.')}: ${i.message} (expected ${s.key} state)`),
      );
    return { ...record, strategy: parsed.data };
  };
  return {
    key: s.key,
    serviceRoles: s.serviceRoles,
    routedRole: s.routedRole,
    initialState: () => s.initialState(p),
    decide: (input) => s.decide(p, { ...input, record: narrow(input.record) }),
    desired: (record, observed, now) => s.desired(p, narrow(record), observed, now),
    traffic: (record) => s.traffic(p, narrow(record)),
    nextWakeup: (record, now) => s.nextWakeup(p, narrow(record), now),
    operate: (record, op, now) => s.operate(p, narrow(record), op, now),
    analysisActive: (record) => s.analysisActive(p, narrow(record)),
    plannedTraffic: () => s.plannedTraffic?.(p) ?? [],
    describe: (record) => s.describe(p, record && narrow(record)),
    checkState: (record) => void narrow(record),
    place(record, events) {
      if (events.length === 0 || record.phase === 'Pending' || !record.revisions.new) return [...events];
      const r = narrow(record);
      // The new revision's share as the strategy describes it (a blue-green switch moves it with no router change).
      const view = s.describe(p, r);
      const where = { phase: record.phase, step: view.stepIndex, weight: view.traffic.target.weight };
      return events.map((e) => ({ ...where, ...e }));
    },
  };
}

const bound = new WeakMap<CompiledPlan, BoundStrategy>();

/** The plan's strategy, bound to it (one per compiled plan), with adoption and release around it. */
export function bindStrategy(plan: CompiledPlan): BoundStrategy {
  let b = bound.get(plan);
  if (!b) bound.set(plan, (b = withHandover(bind(strategies.get(plan.strategy.key), plan), plan)));
  return b;
}
