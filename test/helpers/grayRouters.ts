/**
 * The two routers gray release runs on, as the engine tests set them up: the namespace's HTTPRoute
 * (prepareNamespace makes it) for gatewayApi, or an Ingress in its place for nginxIngress.
 */
import { resource } from '@ramp/sandbox';
import type { EngineHarness } from './engineHarness';

export type RouterKind = 'gatewayApi' | 'nginxIngress';

/** The `router:` block of a plan on `kind`, naming the namespace's route. */
export function routerBlock(kind: RouterKind): Record<string, unknown> {
  return kind === 'gatewayApi' ? { gatewayApi: { httpRoute: 'checkout' } } : { nginxIngress: { ingress: 'checkout' } };
}

/**
 * For nginxIngress, replaces the namespace's HTTPRoute by an Ingress for `host` (so only the Ingress
 * routes); `annotations` go on it (sticky weights need the cookie affinity). Nothing for gatewayApi.
 */
export async function routeBy(
  h: EngineHarness,
  kind: RouterKind,
  ns: string,
  host: string,
  annotations: Record<string, string> = {},
): Promise<void> {
  if (kind !== 'nginxIngress') return;
  await h.sb.cluster.delete(resource('httproutes'), ns, 'checkout');
  await h.sb.cluster.create(resource('ingresses'), ns, {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'checkout', namespace: ns, annotations },
    spec: {
      ingressClassName: 'nginx',
      rules: [
        {
          host,
          http: {
            paths: [
              { path: '/', pathType: 'Prefix', backend: { service: { name: 'checkout', port: { number: 80 } } } },
            ],
          },
        },
      ],
    },
  });
}
