/** When the canary's background analysis runs: from the first traffic step until promotion. */
import type { StrategyPlan, StrategyRecord } from '../strategy';
import { hasTraffic } from './slice';
import type { CanaryConfig } from './spec';
import type { CanaryState } from './state';

/** Whether background analysis runs now. */
export function analysisActiveCanary(p: StrategyPlan<CanaryConfig>, record: StrategyRecord<CanaryState>): boolean {
  if (record.firstDeploy || p.plan.analysis.metrics.length === 0) return false;
  if (record.phase !== 'Progressing' && record.phase !== 'Paused') return false;
  return hasTraffic(p, record.strategy) || record.analysis.startedAt !== undefined;
}
