/** A real Prometheus scraping one prom-client target registered as a pod, for provider tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clone, queryInstant, Registry, resource, waitFor } from '@ramp/sandbox';
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

/** Starts Prometheus with a target at `ip` serving http_requests_total{code="200",method="GET"} = `value`, and waits until it is scraped. */
export async function startPrometheusWithTarget(ip: string, pod: string, value: number): Promise<PrometheusHarness> {
  const stateDir = mkdtempSync(join(tmpdir(), 'ramp-analysis-prom-'));
  const registry = new Registry(new ObjectStore());
  const sd = new HttpSdServer({ registry });
  const prom = new PrometheusServer({ stateDir, sdUrl: await sd.listen() });
  const target = await startMetricsTarget(ip);
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await prom.close().catch(() => undefined);
      await sd.close().catch(() => undefined);
      await target.close();
      rmSync(stateDir, { recursive: true, force: true });
    })());
  try {
    const url = await prom.start();
    target.requests.inc({ code: '200', method: 'GET' }, value);
    const pods = resource('pods');
    const created = registry.create(pods, 'default', {
      metadata: { name: pod, labels: { app: 'conformance' } },
      spec: {
        nodeName: 'sandbox-node',
        containers: [
          { name: 'app', image: 'ramp.dev/demo-app:v1', ports: [{ name: 'http', containerPort: target.port }] },
        ],
      },
    }).object;
    const running = clone(created);
    running.status = { phase: 'Running', podIP: ip, podIPs: [{ ip }], hostIP: '127.0.0.1' };
    registry.update(pods, 'default', pod, running, { subresource: 'status' });
    await waitFor(
      async () => (await queryInstant(url, `http_requests_total{pod="${pod}"}`)).length === 1,
      `${pod} to be scraped`,
      30_000,
      200,
    );
    return { url, prom, target, close };
  } catch (e) {
    await close();
    throw e;
  }
}
