/** A real Prometheus scraping one prom-client target registered as a pod, for provider tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clone, queryInstant, Registry, RegistryCluster, resource, waitFor } from '@ramp/sandbox';
import { ObjectStore } from '@ramp/sandbox/apiServer/store';
import { HttpSdServer } from '@ramp/sandbox/prometheus/httpSd';
import { PrometheusServer } from '@ramp/sandbox/prometheus/prometheusServer';
import {
  startMetricsTarget,
  type MetricsTarget,
} from '../../../packages/sandbox/test/integration/prometheus/metricsTarget';

export interface PrometheusHarness {
  url: string;
  prom: PrometheusServer;
  target: MetricsTarget;
  close(): Promise<void>;
}

/** One pod the harness registers: its namespace, name, IP and http_requests_total{code="200",method="GET"} value. */
export interface HarnessPod {
  ip: string;
  pod: string;
  value: number;
  namespace?: string;
}

/** Starts Prometheus with a target at `ip` serving http_requests_total{code="200",method="GET"} = `value`, and waits until it is scraped. */
export async function startPrometheusWithTarget(ip: string, pod: string, value: number): Promise<PrometheusHarness> {
  return startPrometheusWithTargets([{ ip, pod, value }]);
}

/** Starts Prometheus scraping one target per pod (in its namespace, default `default`), and waits until all are scraped. */
export async function startPrometheusWithTargets(pods: HarnessPod[]): Promise<PrometheusHarness> {
  const stateDir = mkdtempSync(join(tmpdir(), 'ramp-analysis-prom-'));
  const registry = new Registry(new ObjectStore());
  const sd = new HttpSdServer({ cluster: new RegistryCluster(registry) });
  const prom = new PrometheusServer({ stateDir, sdUrl: await sd.listen() });
  const targets: MetricsTarget[] = [];
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await prom.close().catch(() => undefined);
      await sd.close().catch(() => undefined);
      for (const t of targets) await t.close();
      rmSync(stateDir, { recursive: true, force: true });
    })());
  try {
    const url = await prom.start();
    for (const p of pods) {
      const target = await startMetricsTarget(p.ip);
      targets.push(target);
      target.requests.inc({ code: '200', method: 'GET' }, p.value);
      registerPod(registry, p, target.port);
    }
    for (const p of pods)
      await waitFor(
        async () => (await queryInstant(url, `http_requests_total{pod="${p.pod}"}`)).length === 1,
        `${p.pod} to be scraped`,
        30_000,
        200,
      );
    return { url, prom, target: targets[0], close };
  } catch (e) {
    await close();
    throw e;
  }
}

function registerPod(registry: Registry, p: HarnessPod, port: number): void {
  const pods = resource('pods');
  const namespace = p.namespace ?? 'default';
  registry.ensureNamespace(namespace);
  const created = registry.create(pods, namespace, {
    metadata: { name: p.pod, labels: { app: 'conformance' } },
    spec: {
      nodeName: 'sandbox-node',
      containers: [{ name: 'app', image: 'ramp.dev/demo-app:v1', ports: [{ name: 'http', containerPort: port }] }],
    },
  }).object;
  const running = clone(created);
  running.status = { phase: 'Running', podIP: p.ip, podIPs: [{ ip: p.ip }], hostIP: '127.0.0.1' };
  registry.update(pods, namespace, p.pod, running, { subresource: 'status' });
}
