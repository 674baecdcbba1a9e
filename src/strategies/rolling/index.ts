/**
 * The rolling strategy: a Deployment's rolling update (maxSurge, maxUnavailable) that replaces the old
 * revision's pods in batches, with the judge comparing the new pods with the old ones between them (the
 * stable Service selects both, so traffic follows the pods), and a rollback that brings the old revision
 * back to full size before the new one loses a pod.
 */
import type { Strategy } from '../strategy';
import { analysisActiveRolling, desiredRolling, nextRollingWakeup, rollingTraffic } from './cluster';
import { describeRolling } from './describe';
import { operateRolling } from './operate';
import { checkRolling, compileRolling, rollingRouter, rollingSpecSchema, type RollingConfig } from './spec';
import { rollingStateSchema, type RollingState } from './state';
import { decideRolling } from './steps';

export const rollingStrategy: Strategy<RollingConfig, RollingState> = {
  key: 'rolling',
  description:
    'the old pods replaced by new ones in batches within maxSurge and maxUnavailable, judged between batches',
  serviceRoles: ['stable'],
  routedRole: 'canary',
  specSchema: rollingSpecSchema,
  stateSchema: rollingStateSchema,
  check: (spec, facts) => checkRolling(rollingSpecSchema.parse(spec), facts),
  router: () => rollingRouter(),
  compile: (spec) => compileRolling(rollingSpecSchema.parse(spec)),
  initialState: () => ({ kind: 'rolling', stepIndex: 0, stepStartedAt: 0 }),
  decide: decideRolling,
  desired: (p, record, observed) => desiredRolling(p, record, observed),
  traffic: rollingTraffic,
  nextWakeup: nextRollingWakeup,
  operate: operateRolling,
  analysisActive: analysisActiveRolling,
  describe: describeRolling,
};
