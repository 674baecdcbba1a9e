/** When the canary's background analysis runs: from the first traffic step until promotion. */
import type { StrategyPlan, StrategyRecord } from '../strategy';
import type { CanaryConfig } from './spec';
import type { CanaryState } from './state';

/** Whether background analysis runs now. */
export function analysisActiveCanary(p: StrategyPlan<CanaryConfig>, record: StrategyRecord<CanaryState>): boolean {
  if (record.firstDeploy || p.plan.analysis.metrics.length === 0) return false;
  if (record.phase !== 'Progressing' && record.phase !== 'Paused') return false;
  return record.strategy.weight > 0 || record.analysis.startedAt !== undefined;
}
