import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from '../../../src/apiServer/registry';
import { resource } from '../../../src/apiServer/resources';
import { ObjectStore } from '../../../src/apiServer/store';
import { clone } from '../../../src/apiServer/types';
import { RegistryCluster } from '../../../src/cluster/registryCluster';
import { HttpSdServer } from '../../../src/prometheus/httpSd';
import { prometheusNotFound, PrometheusServer, prometheusReady } from '../../../src/prometheus/prometheusServer';
import { MissingBinaryError } from '../../../src/errors/missingBinaryError';
import { activeTargets, PrometheusQueryError, queryInstant } from '../../../src/prometheus/query';
import { ServerProcessExitedError } from '../../../src/errors/serverProcessExitedError';
import { waitFor } from '../../../src/util/ports';
import { startMetricsTarget, type MetricsTarget } from './metricsTarget';

jest.setTimeout(90_000);

const pods = resource('pods');

/** A pod object as the scheduler and kubelet would leave it once its process serves on ip:port. */
function createRunningPod(
  registry: Registry,
  name: string,
  target: MetricsTarget,
  labels: Record<string, string>,
): void {
  const created = registry.create(pods, 'default', {
    metadata: { name, labels },
    spec: {
      nodeName: 'sandbox-node',
      containers: [
        { name: 'app', image: 'ramp.dev/demo-app:v1', ports: [{ name: 'http', containerPort: target.port }] },
      ],
    },
  }).object;
  const running = clone(created);
  running.status = { phase: 'Running', podIP: target.ip, podIPs: [{ ip: target.ip }], hostIP: '127.0.0.1' };
  registry.update(pods, 'default', name, running, { subresource: 'status' });
}

function seconds(since: number): number {
  return Math.round((Date.now() - since) / 100) / 10;
}

function pidFiles(stateDir: string): string[] {
  try {
    return readdirSync(join(stateDir, 'pids'));
  } catch {
    return [];
  }
}

describe('sandbox Prometheus scraping pods found through HTTP service discovery', () => {
  let stateDir: string;
  let registry: Registry;
  let sd: HttpSdServer;
  let sdUrl: string;
  let prom: PrometheusServer;
  let url: string;
  const targets: MetricsTarget[] = [];

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'ramp-prom-'));
    registry = new Registry(new ObjectStore());
    sd = new HttpSdServer({ cluster: new RegistryCluster(registry) });
    sdUrl = await sd.listen();
    prom = new PrometheusServer({ stateDir, sdUrl });
    url = await prom.start();
  });

  afterAll(async () => {
    await prom?.close();
    await sd?.close();
    await Promise.all(targets.map((t) => t.close()));
    expect(pidFiles(stateDir)).toEqual([]);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('writes the config it was asked for and answers on its URL', async () => {
    expect(prom.state).toBe('running');
    expect(prom.url).toBe(url);
    const config = readFileSync(join(stateDir, 'prometheus', 'prometheus.yml'), 'utf8');
    expect(config).toContain('scrape_interval: 1s');
    expect(config).toContain('job_name: kubernetes-pods');
    expect(config).toContain(sdUrl);
    expect(await prometheusReady(url)).toBe(true);
  });

  it('serves the pods as http_sd JSON, and nothing else', async () => {
    const res = await fetch(sdUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(Array.isArray(await res.json())).toBe(true);
    expect((await fetch(sdUrl.replace('/targets', '/other'))).status).toBe(404);
  });

  it("shows a pod's series with its labels, and drops the target when the pod is deleted", async () => {
    const target = await startMetricsTarget('127.1.77.10');
    targets.push(target);
    target.requests.inc({ code: '200', method: 'GET' }, 3);
    const created = Date.now();
    createRunningPod(registry, 'web-1', target, { app: 'web', 'ramp.dev/revision': 'r1' });

    await waitFor(
      async () => (await queryInstant(url, 'http_requests_total{pod="web-1"}')).length === 1,
      'the series of web-1',
      30_000,
      200,
    );
    const appeared = seconds(created);
    const [sample] = await queryInstant(url, 'http_requests_total{pod="web-1"}');
    expect(sample.metric).toMatchObject({
      __name__: 'http_requests_total',
      job: 'kubernetes-pods',
      namespace: 'default',
      pod: 'web-1',
      container: 'app',
      node: 'sandbox-node',
      app: 'web',
      ramp_dev_revision: 'r1',
      code: '200',
      method: 'GET',
      instance: `${target.ip}:${target.port}`,
    });
    expect(sample.value).toBe(3);

    const deleted = Date.now();
    registry.delete(pods, 'default', 'web-1'); // graceful: the pod stays, marked for deletion
    await waitFor(
      async () =>
        (await queryInstant(url, 'up{pod="web-1"}')).length === 0 &&
        !(await activeTargets(url)).some((t) => t.labels.pod === 'web-1'),
      'web-1 to leave the targets',
      30_000,
      200,
    );
    const gone = seconds(deleted);
    console.log(`web-1: series visible ${appeared} s after the pod ran; target gone ${gone} s after deletion`);
    registry.delete(pods, 'default', 'web-1', { gracePeriodSeconds: 0 });
  });

  it('stops, and starts again on the same URL with the same data', async () => {
    const target = await startMetricsTarget('127.1.77.11');
    targets.push(target);
    target.requests.inc({ code: '500', method: 'GET' });
    createRunningPod(registry, 'web-2', target, { app: 'web', 'ramp.dev/revision': 'r2' });
    await waitFor(
      async () => (await queryInstant(url, 'up{pod="web-2"} == 1')).length === 1,
      'web-2 to be up',
      30_000,
      200,
    );
    const seenAt = Date.now() / 1000;

    await prom.stop();
    expect(prom.state).toBe('stopped');
    await expect(queryInstant(url, 'up')).rejects.toBeInstanceOf(PrometheusQueryError);
    expect(pidFiles(stateDir)).toEqual([]);

    const stopped = Date.now();
    expect(await prom.start()).toBe(url);
    const readyAgain = seconds(stopped);
    expect(prom.state).toBe('running');
    // The series scraped before the stop is still there: same data directory.
    expect(await queryInstant(url, 'up{pod="web-2"}', { time: seenAt })).toHaveLength(1);
    await waitFor(
      async () => (await queryInstant(url, 'up{pod="web-2"} == 1')).length === 1,
      'web-2 to be scraped again',
      30_000,
      200,
    );
    console.log(`restart: ready again ${readyAgain} s after start(), scraping again ${seconds(stopped)} s`);

    expect(await prom.restart()).toBe(url);
    expect(await prometheusReady(url)).toBe(true);
  });

  it('passes on Prometheus’ error text for a bad query', async () => {
    await expect(queryInstant(url, 'sum(')).rejects.toThrow(/bad_data/);
  });
});

describe('PrometheusServer start-up', () => {
  let stateDir: string;
  let blocker: Server | undefined;
  let prom: PrometheusServer | undefined;
  const sdUrl = 'http://127.0.0.1:9/targets'; // never answers: these tests only start the process

  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'ramp-prom-start-'));
  });

  afterEach(async () => {
    await prom?.close();
    prom = undefined;
    await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
    blocker = undefined;
    expect(pidFiles(stateDir)).toEqual([]);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('moves to another port when the one it tried is taken', async () => {
    // Hangs up on whoever connects, so closing it does not wait on the readiness probe's connection.
    const server = createServer((socket) => socket.destroy());
    blocker = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const taken = (server.address() as { port: number }).port;
    prom = new PrometheusServer({ stateDir, sdUrl, port: taken });
    const url = await prom.start();
    expect(url).not.toBe(`http://127.0.0.1:${taken}`);
    expect(await prometheusReady(url)).toBe(true);
    expect(readFileSync(prom.logFile, 'utf8')).toMatch(/address already in use/);
  });

  it('says how to install it when the binary is missing', async () => {
    // A bare name is looked up on the PATH, as the default `prometheus` is.
    prom = new PrometheusServer({ stateDir, sdUrl, binary: 'ramp-no-such-prometheus' });
    const err = await prom.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MissingBinaryError);
    expect((err as Error).message).toBe(
      'prometheus not found at ramp-no-such-prometheus: install it (Debian: apt-get install prometheus) or pass --prometheus-binary',
    );
    expect(prom.state).toBe('new');
    const missing = join(stateDir, 'no-such-prometheus');
    await expect(new PrometheusServer({ stateDir, sdUrl, binary: missing }).start()).rejects.toThrow(
      `prometheus not found at ${missing}: install it`,
    );
    // The default binary's message is the one line users see.
    expect(prometheusNotFound('prometheus').message).toBe(
      'prometheus not found: install it (Debian: apt-get install prometheus) or pass --prometheus-binary',
    );
  });

  it('rejects with the end of its log when it exits early', async () => {
    prom = new PrometheusServer({
      stateDir,
      sdUrl,
      extraScrapeConfigs: [{ job_name: 'kubernetes-pods', static_configs: [{ targets: ['127.0.0.1:9'] }] }],
    });
    const err = await prom.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ServerProcessExitedError);
    expect((err as Error).message).toMatch(/^prometheus exited with code \d+ before it was ready/);
    expect((err as Error).message).toContain('found multiple scrape configs with job name \\"kubernetes-pods\\"');
  });

  it('can be closed twice, and not started after', async () => {
    prom = new PrometheusServer({ stateDir, sdUrl });
    const url = await prom.start();
    await Promise.all([prom.close(), prom.close()]);
    expect(prom.state).toBe('closed');
    await expect(prometheusReady(url)).rejects.toThrow();
    await expect(prom.start()).rejects.toThrow(/closed/);
  });
});
