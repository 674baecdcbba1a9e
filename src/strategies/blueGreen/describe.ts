/** The blue-green rollout's progress, strategy-neutral: its steps, the new revision's share of live traffic and the preview's match, revisions by role. */
import type { ProgressView } from '../progress';
import { revisionsView, stepState } from '../progress';
import type { StrategyPlan, StrategyRecord } from '../strategy';
import { describeMatch } from '../traffic';
import { blueGreenTraffic, liveShare } from './cluster';
import { describeBlueGreenStep, type BlueGreenConfig } from './spec';
import type { BlueGreenState } from './state';
import { stepContext } from './steps';

type P = StrategyPlan<BlueGreenConfig>;
type R = StrategyRecord<BlueGreenState>;

/** The blue-green progress view (`record` absent: a plan not started, as `ramp lint` shows it). */
export function describeBlueGreen(p: P, record: R | undefined): ProgressView {
  const steps = p.config.steps;
  const allDone = record?.phase === 'Succeeded';
  const current = allDone ? steps.length : (record?.strategy.stepIndex ?? 0);
  const started = record !== undefined && !record.firstDeploy && record.phase !== 'Pending';
  const ctx = stepContext(p);
  const matches = record ? blueGreenTraffic(p, record).matches : [];
  const verifies = p.capabilities.verify && record?.cluster;
  return {
    strategy: 'blueGreen',
    newRole: 'preview',
    steps: steps.map((s, index) => ({
      index,
      description: describeBlueGreenStep(s, ctx),
      state: stepState(index, current, allDone, started),
    })),
    stepIndex: current,
    traffic: {
      target: { weight: record ? liveShare(p, record) : 0, matches: matches.map(describeMatch) },
      actual: verifies ? { source: 'router', verified: record.cluster?.trafficVerified } : undefined,
    },
    revisions: record ? revisionsView(record, 'preview') : [],
  };
}
