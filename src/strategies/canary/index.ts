/**
 * The canary strategy: steps setWeight, pause, analyze and setCanaryScale; background analysis from the
 * first traffic step to promotion; promotion in stages; rollback that moves traffic before pods; the
 * progress deadline; and the first deploy of an app, which goes straight to stable.
 */
import type { Strategy } from '../strategy';
import { analysisActiveCanary } from './analysis';
import { canaryTraffic, desiredCanary, nextCanaryWakeup } from './cluster';
import { describeCanary } from './describe';
import { operateCanary } from './operate';
import { canaryRouter, canarySpecSchema, checkCanary, compileCanary, type CanaryConfig } from './spec';
import { canaryStateSchema, type CanaryState } from './state';
import { decideCanary } from './steps';

export const canaryStrategy: Strategy<CanaryConfig, CanaryState> = {
  key: 'canary',
  description: 'traffic moves to the new revision in steps, judged by the metrics all along',
  serviceRoles: ['stable', 'canary'],
  routedRole: 'canary',
  specSchema: canarySpecSchema,
  stateSchema: canaryStateSchema,
  check: (spec, facts, capabilities) => checkCanary(canarySpecSchema.parse(spec), facts, capabilities),
  router: (spec) => canaryRouter(canarySpecSchema.parse(spec)),
  compile: (spec) => compileCanary(canarySpecSchema.parse(spec)),
  initialState: () => ({ kind: 'canary', stepIndex: 0, stepStartedAt: 0, weight: 0 }),
  decide: decideCanary,
  desired: desiredCanary,
  traffic: canaryTraffic,
  nextWakeup: nextCanaryWakeup,
  operate: operateCanary,
  analysisActive: analysisActiveCanary,
  describe: describeCanary,
};
