/** The demo app's namespace, Deployment, Service and HTTPRoute, as the demo and the e2e tests use them. */
import type { KubernetesObject } from '@kubernetes/client-node';

export const DEMO_NAMESPACE = 'demo';
export const DEMO_APP = 'checkout';
/** The Host header the demo's HTTPRoute answers on the gateway. */
export const DEMO_HOST = 'checkout.demo.sandbox';

export function demoManifests(version: string, replicas: number, env: Record<string, string> = {}): KubernetesObject[] {
  const labels = { app: DEMO_APP };
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: DEMO_NAMESPACE } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: DEMO_APP, namespace: DEMO_NAMESPACE, labels },
      spec: {
        replicas,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels: { ...labels, version } },
          spec: {
            containers: [
              {
                name: 'app',
                image: `ramp.dev/demo-app:${version}`,
                ports: [{ name: 'http', containerPort: 8080 }],
                env: [
                  { name: 'VERSION', value: version },
                  ...Object.entries(env).map(([name, value]) => ({ name, value })),
                ],
                readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 1 },
                livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 5 },
              },
            ],
          },
        },
      },
    } as KubernetesObject,
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: DEMO_APP, namespace: DEMO_NAMESPACE, labels },
      spec: { selector: labels, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    } as KubernetesObject,
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: DEMO_APP, namespace: DEMO_NAMESPACE },
      spec: {
        parentRefs: [{ name: 'sandbox' }],
        hostnames: [DEMO_HOST],
        rules: [{ backendRefs: [{ name: DEMO_APP, port: 80 }] }],
      },
    } as KubernetesObject,
  ];
}
