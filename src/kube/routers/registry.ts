/**
 * The traffic routers, by the key a plan's `router:` block uses. Adding a router is a folder under
 * src/kube/routers/ and one line here.
 */
import { oneOfRegistry, onlyEntry, Registry } from '../../util/registry';
import type { KubeClient } from '../client';
import { gatewayApiRouter } from './gatewayApi';
import { nginxIngressRouter } from './nginxIngress';
import { replicaRatioRouter } from './replicaRatio';
import type { RouterCapabilities, RouterPlugin, TrafficRouter } from './trafficRouter';

export const routers = new Registry<RouterPlugin>('traffic router', {});
routers.register(replicaRatioRouter as RouterPlugin);
routers.register(gatewayApiRouter as RouterPlugin);
routers.register(nginxIngressRouter as RouterPlugin);

/** A plan's router, compiled: which router and its validated settings. */
export interface RouterRef {
  key: string;
  config: unknown;
}

/** The router a strategy uses when the plan names none. */
export const DEFAULT_ROUTER: RouterRef = { key: 'replicaRatio', config: {} };

/** The `router:` block of a plan: exactly one registered router and its settings. */
export const routerSpecSchema = oneOfRegistry(routers, (r) => r.configSchema);

/** The router a parsed `router:` block names. */
export function routerRefOf(block: Record<string, unknown> | undefined): RouterRef {
  if (!block) return DEFAULT_ROUTER;
  const { key, value } = onlyEntry(block);
  return { key, config: value };
}

/** What the router a plan names can do (pure: no client needed). */
export function routerCapabilities(ref: RouterRef): RouterCapabilities {
  return routers.get(ref.key).capabilities(ref.config);
}

/** The router a plan names, talking to the cluster through `client`. */
export function createRouter(ref: RouterRef, client: KubeClient): TrafficRouter {
  return routers.get(ref.key).create(ref.config, client);
}
