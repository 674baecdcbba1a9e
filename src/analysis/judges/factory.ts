/**
 * The judge for a metric. Query metrics have a fixed bound, so the threshold judge; errorRate and
 * latency compare canary with stable, so the sequential judge unless the metric names `threshold`.
 * Unknown judges are refused.
 */
import { UnknownImplementationError } from '../../errors';
import type { MetricSpec } from '../../plan/schema';
import type { Judge } from '../judge';
import { SequentialJudge } from './sequential';
import { ThresholdJudge } from './threshold';

// Judges are pure and stateless: one instance serves every metric.
const JUDGES: Record<string, Judge> = { sequential: new SequentialJudge(), threshold: new ThresholdJudge() };

/** The judge a built-in metric gets when it names none. */
export const DEFAULT_BUILT_IN_JUDGE = 'sequential';

/** The judge `metric` asks for; throws UnknownImplementationError for one that is not available. */
export function judgeFor(metric: MetricSpec): Judge {
  const name: string =
    metric.query !== undefined
      ? 'threshold'
      : (metric.errorRate?.judge ?? metric.latency?.judge ?? DEFAULT_BUILT_IN_JUDGE);
  const judge = Object.prototype.hasOwnProperty.call(JUDGES, name) ? JUDGES[name] : undefined;
  if (judge) return judge;
  throw new UnknownImplementationError('judge', name, Object.keys(JUDGES));
}
