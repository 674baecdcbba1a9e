/**
 * The blue-green strategy: the new revision runs beside the old one behind `<service>-preview`, judged on
 * test traffic; promotion brings it to full size and switches the stable Service's selector in one
 * write; the old revision keeps its pods for the scale-down delay (a rollback in it is one selector
 * write back), during which the post-promotion analysis judges the new revision on live traffic.
 */
import type { Strategy } from '../strategy';
import { analysisActiveBlueGreen, blueGreenTraffic, desiredBlueGreen, nextBlueGreenWakeup } from './cluster';
import { decideBlueGreen } from './decide';
import { describeBlueGreen } from './describe';
import { operateBlueGreen } from './operate';
import { blueGreenRouter, blueGreenSpecSchema, checkBlueGreen, compileBlueGreen, type BlueGreenConfig } from './spec';
import { blueGreenStateSchema, type BlueGreenState } from './state';

export const blueGreenStrategy: Strategy<BlueGreenConfig, BlueGreenState> = {
  key: 'blueGreen',
  description: 'the new revision beside the old behind a preview Service, then one selector switch with instant undo',
  serviceRoles: ['stable', 'preview'],
  routedRole: 'preview',
  specSchema: blueGreenSpecSchema,
  stateSchema: blueGreenStateSchema,
  check: (spec, facts, capabilities) => checkBlueGreen(blueGreenSpecSchema.parse(spec), facts, capabilities),
  router: (spec) => blueGreenRouter(blueGreenSpecSchema.parse(spec)),
  compile: (spec) => compileBlueGreen(blueGreenSpecSchema.parse(spec)),
  initialState: () => ({ kind: 'blueGreen', stepIndex: 0, stepStartedAt: 0 }),
  decide: decideBlueGreen,
  desired: (p, record, observed) => desiredBlueGreen(p, record, observed),
  traffic: blueGreenTraffic,
  nextWakeup: nextBlueGreenWakeup,
  operate: operateBlueGreen,
  analysisActive: analysisActiveBlueGreen,
  describe: describeBlueGreen,
};
