/**
 * Pods as real processes: the demo app comes up on its own loopback IP, answers, exports metrics,
 * takes run-time config; readiness follows its probe; deletion stops the process and removes the pod.
 */
import type { Pod } from 'kubernetes-types/core/v1';
import { resource } from '../../../src/apiServer/resources';
import { isAlive } from '../../../src/util/processes';
import { waitFor } from '../../../src/util/ports';
import {
  condition,
  containerStatus,
  createPod,
  demoContainer,
  eventsOf,
  getPod,
  type Harness,
  http,
  isReady,
  pidOf,
  pods,
  readAll,
  requireDemoApp,
  startKubelet,
  waitForPod,
} from './harness';

describe('kubelet: pods as processes', () => {
  let h: Harness;

  beforeAll(async () => {
    requireDemoApp();
    h = await startKubelet();
  });

  afterAll(async () => {
    await h?.close();
  });

  it('registers a Ready node with addresses and node info', () => {
    const node = h.registry.get(resource('nodes'), undefined, 'sandbox');
    const status = node.status as {
      conditions: { type: string; status: string }[];
      addresses: { type: string; address: string }[];
      nodeInfo: { kubeletVersion: string };
    };
    expect(status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(status.addresses).toEqual([
      { type: 'InternalIP', address: '127.0.0.1' },
      { type: 'Hostname', address: 'sandbox' },
    ]);
    expect(status.nodeInfo.kubeletVersion).toBe('v1.32.0');
  });

  it('runs the demo app on its own 127.1.x.y IP, Ready through its HTTP readiness probe', async () => {
    createPod(h.registry, 'web', [demoContainer({ VERSION: 'v7' })]);
    const pod = await waitForPod(
      h.registry,
      'web',
      'Running and Ready',
      (p) => p.status?.phase === 'Running' && isReady(p),
    );

    expect(pod.spec?.nodeName).toBe('sandbox');
    expect(condition(pod, 'PodScheduled')?.status).toBe('True');
    expect(condition(pod, 'ContainersReady')?.status).toBe('True');
    expect(condition(pod, 'Initialized')?.status).toBe('True');
    expect(condition(pod, 'PodReadyToStartContainers')?.status).toBe('True');
    expect(pod.status?.podIP).toMatch(/^127\.1\.\d{1,3}\.\d{1,3}$/);
    expect(pod.status?.podIPs).toEqual([{ ip: pod.status?.podIP }]);
    expect(pod.status?.hostIP).toBe('127.0.0.1');
    expect(pod.status?.startTime).toBeDefined();
    const cs = containerStatus(pod);
    expect(cs).toMatchObject({
      name: 'app',
      ready: true,
      started: true,
      restartCount: 0,
      image: 'ramp.dev/demo-app:v1',
    });
    expect(cs?.imageID).toMatch(/^ramp\.dev\/demo-app@sha256:[0-9a-f]{64}$/);
    expect(cs?.state?.running?.startedAt).toBeDefined();
    expect(isAlive(pidOf(cs))).toBe(true);

    const res = await http(`http://${pod.status?.podIP}:8080/hello`);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ version: 'v7', pod: 'web', path: '/hello' });
    expect(res.headers['x-app-version']).toBe('v7');

    const metrics = await http(`http://${pod.status?.podIP}:8080/metrics`);
    expect(metrics.body).toMatch(/^http_requests_total\{code="200",method="GET"\} 1$/m);

    const reasons = eventsOf(h.registry, 'web').map((e) => e.split(':')[0]);
    expect(reasons).toEqual(expect.arrayContaining(['Scheduled', 'Pulled', 'Created', 'Started']));
  });

  it('changes the error rate at run time through POST /admin/config', async () => {
    const pod = await waitForPod(h.registry, 'web', 'Ready', isReady);
    const base = `http://${pod.status?.podIP}:8080`;
    const changed = await http(`${base}/admin/config`, 'POST', { errorRate: 1 });
    expect(changed.status).toBe(200);
    expect(JSON.parse(changed.body)).toMatchObject({ errorRate: 1, version: 'v7' });
    expect((await http(`${base}/`)).status).toBe(500);
    const bad = await http(`${base}/admin/config`, 'POST', { errorRate: 2 });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ field: 'errorRate' });
    await http(`${base}/admin/config`, 'POST', { errorRate: 0 });
    expect((await http(`${base}/`)).status).toBe(200);
    const metrics = await http(`${base}/metrics`);
    expect(metrics.body).toMatch(/^http_requests_total\{code="500",method="GET"\} 1$/m);
  });

  it('flips Ready and ContainersReady when the readiness probe starts failing, and back', async () => {
    const pod = await waitForPod(h.registry, 'web', 'Ready', isReady);
    const readySince = condition(pod, 'Ready')?.lastTransitionTime;
    const base = `http://${pod.status?.podIP}:8080`;
    await http(`${base}/admin/config`, 'POST', { ready: false });
    const unready = await waitForPod(h.registry, 'web', 'not Ready', (p) => !isReady(p));
    expect(condition(unready, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotReady',
      message: 'containers with unready status: [app]',
    });
    expect(condition(unready, 'ContainersReady')?.status).toBe('False');
    expect(containerStatus(unready)?.ready).toBe(false);
    expect(unready.status?.phase).toBe('Running');
    expect(
      eventsOf(h.registry, 'web').some((e) =>
        e.startsWith('Unhealthy: Readiness probe failed: HTTP probe failed with statuscode: 503'),
      ),
    ).toBe(true);

    await http(`${base}/admin/config`, 'POST', { ready: true });
    const back = await waitForPod(h.registry, 'web', 'Ready again', isReady);
    expect(condition(back, 'ContainersReady')?.status).toBe('True');
    expect(containerStatus(back)?.restartCount).toBe(0);
    expect(readySince).toBeDefined();
  });

  it('gives two pods different IPs; deleting one stops its process and removes the object', async () => {
    createPod(h.registry, 'a', [demoContainer()]);
    createPod(h.registry, 'b', [demoContainer()]);
    const a = await waitForPod(h.registry, 'a', 'Ready', isReady);
    const b = await waitForPod(h.registry, 'b', 'Ready', isReady);
    expect(a.status?.podIP).not.toBe(b.status?.podIP);
    expect(JSON.parse((await http(`http://${a.status?.podIP}:8080/`)).body).pod).toBe('a');
    expect(JSON.parse((await http(`http://${b.status?.podIP}:8080/`)).body).pod).toBe('b');

    const pid = pidOf(containerStatus(a));
    const result = h.registry.delete(pods, 'default', 'a');
    expect(result.removed).toBe(false);
    expect(result.object.metadata.deletionTimestamp).toBeDefined();
    await waitFor(() => getPod(h.registry, 'a') === undefined, 'pod a removed', 15_000);
    expect(isAlive(pid)).toBe(false);
    expect(eventsOf(h.registry, 'a')).toContain('Killing: Stopping container app');
    // The other pod is untouched.
    expect(isReady(getPod(h.registry, 'b') as Pod)).toBe(true);
    expect(h.kubelet.pids()).toContain(pidOf(containerStatus(b)));
  });

  it('passes env from values and the downward API, plus POD_IP, POD_NAME, POD_NAMESPACE and PORT', async () => {
    createPod(
      h.registry,
      'envy',
      [
        {
          name: 'main',
          image: 'ramp.dev/exec:v1',
          command: [
            'sh',
            '-c',
            'echo "ip=$POD_IP name=$POD_NAME ns=$POD_NAMESPACE port=$PORT me=$ME uid=$UID_X tier=$TIER node=$NODE greet=$GREET"; sleep 1000',
          ],
          ports: [{ containerPort: 9090 }],
          env: [
            { name: 'ME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'UID_X', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
            { name: 'TIER', valueFrom: { fieldRef: { fieldPath: "metadata.labels['tier']" } } },
            { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
            { name: 'GREET', value: 'hello-$(ME)' },
          ],
        },
      ],
      {},
      { tier: 'front' },
    );
    const pod = await waitForPod(h.registry, 'envy', 'Running', (p) => p.status?.phase === 'Running');
    let text = '';
    await waitFor(async () => {
      text = await readAll(h.kubelet.open(pod as never, { follow: false, previous: false, timestamps: false }));
      return text.includes('ip=');
    }, 'env line in the log');
    expect(text.trim()).toBe(
      `ip=${pod.status?.podIP} name=envy ns=default port=9090 me=envy uid=${pod.metadata?.uid} tier=front node=sandbox greet=hello-envy`,
    );
  });
});
