/** Builds the traffic router a plan names. */
import { UnknownImplementationError } from '../../errors/unknownImplementationError';
import type { RouterKind } from '../../plan/compile';
import type { KubeClient } from '../client';
import { GatewayApiRouter } from './gatewayApi';
import { ReplicaRatioRouter } from './replicaRatio';
import type { TrafficRouter } from './trafficRouter';

const BUILDERS: Record<RouterKind, (client: KubeClient) => TrafficRouter> = {
  replicaRatio: () => new ReplicaRatioRouter(),
  gatewayApi: (client) => new GatewayApiRouter(client),
};

/** The known router kinds. */
export const ROUTER_KINDS = Object.keys(BUILDERS) as RouterKind[];

/** The router of `kind`; UnknownImplementationError for a kind there is no router for. */
export function createRouter(kind: string, client: KubeClient): TrafficRouter {
  if (!Object.hasOwn(BUILDERS, kind)) throw new UnknownImplementationError('traffic router', kind, ROUTER_KINDS);
  return BUILDERS[kind as RouterKind](client);
}
