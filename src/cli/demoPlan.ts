/**
 * A rollout plan for the sandbox's demo app, as plain input (what a user writes): the demo, the
 * benchmarks and the engine tests differ only in the options below.
 */

export interface DemoPlanOptions {
  /** Absent: the plan names none, and the API takes the one in its URL. */
  namespace?: string;
  /** App, Service and HTTPRoute name. Default `checkout`. */
  app?: string;
  /** The image tag and the VERSION the app reports. */
  version: string;
  replicas: number;
  /** Environment after VERSION (ERROR_RATE, LATENCY_MS, …), in this order. */
  env?: Record<string, string>;
  /** The readiness probe's port. Default the `http` port. */
  readinessPort?: string | number;
  /** Default: the gatewayApi router on the HTTPRoute named like the app. */
  router?: 'gatewayApi' | 'replicaRatio';
  steps: unknown[];
  scaleDownDelay?: string;
  /** Absent: no analysis block (the plan's defaults: no metrics). */
  analysis?: Record<string, unknown>;
  progressDeadline?: string;
}

export function demoPlanInput(o: DemoPlanOptions): Record<string, unknown> {
  const app = o.app ?? 'checkout';
  return {
    apiVersion: 'ramp.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: app, ...(o.namespace !== undefined ? { namespace: o.namespace } : {}) },
    spec: {
      replicas: o.replicas,
      selector: { matchLabels: { app } },
      template: {
        metadata: { labels: { app } },
        spec: {
          containers: [
            {
              name: 'app',
              image: `ramp.dev/demo-app:${o.version}`,
              ports: [{ name: 'http', containerPort: 8080 }],
              env: [
                { name: 'VERSION', value: o.version },
                ...Object.entries(o.env ?? {}).map(([name, value]) => ({ name, value })),
              ],
              readinessProbe: { httpGet: { path: '/readyz', port: o.readinessPort ?? 'http' }, periodSeconds: 1 },
            },
          ],
        },
      },
      service: { name: app, port: 80, targetPort: 'http' },
      strategy: {
        canary: {
          router: o.router === 'replicaRatio' ? { replicaRatio: {} } : { gatewayApi: { httpRoute: app } },
          steps: o.steps,
          ...(o.scaleDownDelay !== undefined ? { scaleDownDelay: o.scaleDownDelay } : {}),
        },
      },
      ...(o.analysis !== undefined ? { analysis: o.analysis } : {}),
      ...(o.progressDeadline ? { progressDeadline: o.progressDeadline } : {}),
    },
  };
}
