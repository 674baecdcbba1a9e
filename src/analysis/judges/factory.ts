/**
 * The judge for a metric. Query metrics have a fixed bound, so the threshold judge; errorRate and
 * latency name theirs (default threshold until the statistical judge lands). Unknown judges are refused.
 */
import type { MetricSpec } from '../../plan/schema';
import { UnknownImplementationError } from '../../errors/unknownImplementationError';
import type { Judge } from '../judge';
import { ThresholdJudge } from './threshold';

// Judges are pure and stateless: one instance serves every metric.
const JUDGES: Record<string, Judge> = { threshold: new ThresholdJudge() };

/** The judge `metric` asks for; throws UnknownImplementationError for one that is not available. */
export function judgeFor(metric: MetricSpec): Judge {
  const name: string = metric.query !== undefined ? 'threshold' : (metric.errorRate?.judge ?? metric.latency?.judge ?? 'threshold');
  const judge = Object.prototype.hasOwnProperty.call(JUDGES, name) ? JUDGES[name] : undefined;
  if (judge) return judge;
  if (name === 'sequential') throw new UnknownImplementationError('judge', name, Object.keys(JUDGES), 'the sequential judge is not available yet');
  throw new UnknownImplementationError('judge', name, Object.keys(JUDGES));
}
