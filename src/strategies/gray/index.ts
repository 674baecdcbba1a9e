/**
 * The gray strategy: a chosen slice of requests (a header, a cookie, a query parameter, an exact share of
 * users by their id) goes to the new revision first, then optionally a weight for everyone else. It
 * runs on the canary's machinery — the same steps engine, background analysis, promotion and rollback —
 * with slices as steps of their own.
 */
import type { Strategy } from '../strategy';
import { analysisActiveCanary } from '../canary/analysis';
import { canaryTraffic, desiredCanary, nextCanaryWakeup } from '../canary/cluster';
import { describeCanary } from '../canary/describe';
import { operateCanary } from '../canary/operate';
import type { CanaryConfig } from '../canary/spec';
import { plannedTraffic } from '../canary/slice';
import { canaryStateSchema, type CanaryState } from '../canary/state';
import { decideCanary } from '../canary/steps';
import { checkGray, compileGray, graySpecSchema, grayRouter } from './spec';

export const grayStrategy: Strategy<CanaryConfig, CanaryState> = {
  key: 'gray',
  description:
    'a chosen slice of users (header, cookie, a share of user ids) gets the new revision first, then a weight',
  serviceRoles: ['stable', 'canary'],
  routedRole: 'canary',
  specSchema: graySpecSchema,
  stateSchema: canaryStateSchema,
  check: (spec, facts, capabilities) => checkGray(graySpecSchema.parse(spec), facts, capabilities),
  router: (spec) => grayRouter(graySpecSchema.parse(spec)),
  compile: (spec) => compileGray(graySpecSchema.parse(spec)),
  initialState: () => ({ kind: 'gray', stepIndex: 0, stepStartedAt: 0, weight: 0 }),
  decide: decideCanary,
  desired: desiredCanary,
  traffic: canaryTraffic,
  nextWakeup: nextCanaryWakeup,
  operate: operateCanary,
  analysisActive: analysisActiveCanary,
  plannedTraffic,
  describe: describeCanary,
};
