/**
 * The whole sandbox, driven by real kubectl as a user would: apply, get -o wide, rollout status,
 * scale, set image, rollout undo, logs, get -w, delete cascading to pods — and the same pods serving
 * through the gateway and scraped by the real Prometheus. Runs on both control planes (the kubernetes
 * lane: the real kube-apiserver and controllers, pods on 10.244.x.y).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sandbox } from '../../../src/sandbox';
import { resource } from '../../../src/apiServer/resources';
import { queryInstant } from '../../../src/prometheus/query';
import { waitFor } from '../../../src/util/ports';
import { silentLogger } from '../../../src/util/logger';
import { kubectl, kubectlStream } from '../../helpers/kubectl';
import { controlPlaneUnderTest, podIpPattern } from '../../helpers/controlPlane';
import { request } from '../../helpers/http';

const APP = `
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  strategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  template:
    metadata: {labels: {app: web, ramp.dev/revision: r1}}
    spec:
      containers:
      - name: web
        image: ramp.dev/demo-app:v1
        env: [{name: VERSION, value: v1}]
        ports: [{name: http, containerPort: 8080}]
        readinessProbe: {httpGet: {path: /readyz, port: http}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: shop}
spec:
  hostnames: [web.shop.test]
  rules:
  - backendRefs: [{name: web, port: 80}]
`;

describe('the sandbox through kubectl', () => {
  let sb: Sandbox;
  let dir: string;
  const k = (args: string[], input?: string) => kubectl(sb.kubeconfigPath, args, { input, timeoutMs: 90_000 });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ramp-sb-'));
    sb = await Sandbox.start({
      dir,
      controlPlane: controlPlaneUnderTest(),
      backoff: { initialMs: 200, maxMs: 2000 },
      logger: silentLogger(),
    });
  }, 60_000);
  afterAll(async () => {
    await sb?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies a Deployment, Service and HTTPRoute and reaches rollout success', async () => {
    expect((await k(['apply', '-f', '-'], APP)).stdout).toContain('deployment.apps/web created');
    const status = await k(['rollout', 'status', 'deployment/web', '-n', 'shop', '--timeout=60s']);
    expect(status.stdout).toContain('successfully rolled out');
    const wide = await k(['get', 'deploy,rs,pods,svc,endpointslices', '-n', 'shop', '-o', 'wide']);
    expect(wide.stdout).toMatch(/deployment\.apps\/web\s+3\/3\s+3\s+3/);
    const ip = podIpPattern();
    expect(
      wide.stdout.match(new RegExp(`pod/web-\\S+\\s+1/1\\s+Running\\s+0\\s+\\S+\\s+${ip}\\s+sandbox`, 'g')),
    ).toHaveLength(3);
    expect(wide.stdout).toMatch(new RegExp(`endpointslice\\.discovery\\.k8s\\.io/web-\\S+\\s+IPv4\\s+8080\\s+${ip}`));
  });

  it('serves the pods through the gateway', async () => {
    const res = await request(sb.urls.gateway, { host: 'web.shop.test' });
    expect(res.status).toBe(200);
    expect(res.headers['x-sandbox-revision']).toBe('r1');
    expect((JSON.parse(res.body) as { version: string }).version).toBe('v1');
  });

  it('has the pods in the real Prometheus with namespace, pod and revision labels', async () => {
    for (let i = 0; i < 20; i++) expect((await request(sb.urls.gateway, { host: 'web.shop.test' })).status).toBe(200);
    await waitFor(
      async () =>
        (
          await queryInstant(
            sb.urls.prometheus ?? '',
            'sum(http_requests_total{namespace="shop",ramp_dev_revision="r1"})',
          )
        ).some((s) => s.value >= 20),
      'the requests in Prometheus',
      20_000,
      250,
    );
    const series = await queryInstant(sb.urls.prometheus ?? '', 'http_requests_total{namespace="shop"}');
    expect(series.every((s) => /^web-/.test(s.metric.pod ?? '') && s.metric.container === 'web')).toBe(true);
  });

  it('scales, changes the image, and undoes the change', async () => {
    expect((await k(['scale', 'deployment/web', '-n', 'shop', '--replicas=4'])).stdout).toContain('scaled');
    expect((await k(['rollout', 'status', 'deployment/web', '-n', 'shop', '--timeout=60s'])).stdout).toContain(
      'successfully rolled out',
    );
    expect((await k(['set', 'image', 'deployment/web', '-n', 'shop', 'web=ramp.dev/demo-app:v2'])).stdout).toContain(
      'image updated',
    );
    expect((await k(['rollout', 'status', 'deployment/web', '-n', 'shop', '--timeout=90s'])).stdout).toContain(
      'successfully rolled out',
    );
    const rs = await k([
      'get',
      'rs',
      '-n',
      'shop',
      '-o',
      'jsonpath={range .items[*]}{.spec.template.spec.containers[0].image}={.status.replicas} {end}',
    ]);
    expect(rs.stdout.trim().split(' ').sort()).toEqual(['ramp.dev/demo-app:v1=0', 'ramp.dev/demo-app:v2=4']);
    expect((await k(['rollout', 'undo', 'deployment/web', '-n', 'shop'])).stdout).toContain('rolled back');
    expect((await k(['rollout', 'status', 'deployment/web', '-n', 'shop', '--timeout=90s'])).stdout).toContain(
      'successfully rolled out',
    );
    const image = await k([
      'get',
      'deploy',
      'web',
      '-n',
      'shop',
      '-o',
      'jsonpath={.spec.template.spec.containers[0].image} {.metadata.annotations.deployment\\.kubernetes\\.io/revision}',
    ]);
    expect(image.stdout).toBe('ramp.dev/demo-app:v1 3');
    const history = await k(['rollout', 'history', 'deployment/web', '-n', 'shop']);
    expect(history.stdout).toMatch(/2\s+<none>[\s\S]*3\s+<none>/);
  });

  it('shows logs and streams pod changes to `get pods -w`', async () => {
    const pod = (await sb.cluster.list(resource('pods'), { namespace: 'shop' }))[0].metadata.name ?? '';
    const logs = await k(['logs', pod, '-n', 'shop']);
    expect(logs.code).toBe(0);
    const w = kubectlStream(sb.kubeconfigPath, ['get', 'pods', '-n', 'shop', '-w']);
    await waitFor(() => w.output().includes(pod), 'the watch to list the pod', 10_000);
    await k(['delete', 'pod', pod, '-n', 'shop', '--wait=false']);
    await waitFor(
      () => new RegExp(`${pod}\\s+1/1\\s+Terminating`).test(w.output()),
      'the watch to show the pod terminating',
      15_000,
    );
    await w.stop();
  });

  it('deletes the Deployment with its ReplicaSets and pods, and Prometheus drops the targets', async () => {
    expect((await k(['delete', 'deployment', 'web', '-n', 'shop'])).stdout).toContain('deleted');
    await waitFor(
      async () => (await sb.cluster.list(resource('pods'), { namespace: 'shop' })).length === 0,
      'the pods to go',
      30_000,
    );
    expect(await sb.cluster.list(resource('replicasets'), { namespace: 'shop' })).toHaveLength(0);
    await waitFor(
      async () => (await queryInstant(sb.urls.prometheus ?? '', 'up{namespace="shop"}')).length === 0,
      'Prometheus to drop the targets',
      15_000,
      250,
    );
  });
});
