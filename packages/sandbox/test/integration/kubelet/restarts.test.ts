/**
 * Failure handling as a kubelet does it: crash loops with a growing back-off, terminal phases per
 * restartPolicy, image pull failures, liveness restarts, exec probes, start errors, image changes.
 */
import type { ContainerStatus, Pod } from 'kubernetes-types/core/v1';
import { clone } from '../../../src/apiServer/types';
import { isAlive } from '../../../src/util/processes';
import {
  condition,
  containerStatus,
  createPod,
  demoContainer,
  eventsOf,
  type Harness,
  isReady,
  pidOf,
  pods,
  requireDemoApp,
  startKubelet,
  waitForPod,
} from './harness';

/** Every status the pod's first container went through, in order, with the time it was seen. */
function recordStatuses(h: Harness, name: string): { seen: { at: number; status: ContainerStatus }[]; stop(): void } {
  const seen: { at: number; status: ContainerStatus }[] = [];
  const w = h.registry.watch(pods, { namespace: 'default' }, (ev) => {
    const cs = (ev.object as Pod).status?.containerStatuses?.[0];
    if (ev.object.metadata.name === name && cs) seen.push({ at: Date.now(), status: cs });
  });
  return { seen, stop: () => w.stop() };
}

describe('kubelet: restarts and failures', () => {
  let h: Harness;

  beforeAll(async () => {
    requireDemoApp();
    h = await startKubelet({ backoff: { initialMs: 300, maxMs: 2000 } });
  });

  afterAll(async () => {
    await h?.close();
  });

  it('restarts a container that exits 1 with a doubling back-off and shows CrashLoopBackOff', async () => {
    const rec = recordStatuses(h, 'crashy');
    const created = createPod(h.registry, 'crashy', [
      { name: 'c', image: 'ramp.dev/exec:v1', command: ['sh', '-c', 'echo crashing; exit 1'] },
    ]);
    const pod = await waitForPod(
      h.registry,
      'crashy',
      'restartCount >= 4',
      (p) => (containerStatus(p, 'c')?.restartCount ?? 0) >= 4,
    );
    rec.stop();

    const cs = containerStatus(pod, 'c');
    expect(pod.status?.phase).toBe('Running');
    expect(cs?.lastState?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    const loops = rec.seen.map((s) => s.status.state?.waiting).filter((w) => w?.reason === 'CrashLoopBackOff');
    const uid = created.metadata?.uid ?? '';
    expect(loops.map((w) => w?.message)).toEqual(
      expect.arrayContaining([
        `back-off 300ms restarting failed container=c pod=crashy_default(${uid})`,
        `back-off 600ms restarting failed container=c pod=crashy_default(${uid})`,
        `back-off 1.2s restarting failed container=c pod=crashy_default(${uid})`,
      ]),
    );
    // Restart n+1 comes later after restart n than n after n-1: the back-off grows.
    const firstSeen = new Map<number, number>();
    for (const s of rec.seen) if (!firstSeen.has(s.status.restartCount)) firstSeen.set(s.status.restartCount, s.at);
    const gap = (n: number): number => (firstSeen.get(n) ?? NaN) - (firstSeen.get(n - 1) ?? NaN);
    expect(gap(2)).toBeGreaterThanOrEqual(250);
    expect(gap(3)).toBeGreaterThanOrEqual(550);
    expect(gap(4)).toBeGreaterThan(gap(2) + 500);
    expect(eventsOf(h.registry, 'crashy')).toContain(
      `BackOff: Back-off restarting failed container c in pod crashy_default(${uid})`,
    );
  });

  it('ends a restartPolicy Never pod Failed and an OnFailure pod that exits 0 Succeeded', async () => {
    createPod(h.registry, 'once-bad', [{ name: 'c', image: 'ramp.dev/exec:v1', command: ['sh', '-c', 'exit 2'] }], {
      restartPolicy: 'Never',
    });
    createPod(h.registry, 'once-good', [{ name: 'c', image: 'ramp.dev/exec:v1', command: ['true'] }], {
      restartPolicy: 'OnFailure',
    });
    const bad = await waitForPod(h.registry, 'once-bad', 'Failed', (p) => p.status?.phase === 'Failed');
    const good = await waitForPod(h.registry, 'once-good', 'Succeeded', (p) => p.status?.phase === 'Succeeded');
    expect(containerStatus(bad, 'c')).toMatchObject({
      restartCount: 0,
      ready: false,
      state: { terminated: { exitCode: 2, reason: 'Error' } },
    });
    expect(containerStatus(good, 'c')).toMatchObject({
      restartCount: 0,
      state: { terminated: { exitCode: 0, reason: 'Completed' } },
    });
    expect(condition(good, 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
    // A finished pod is deleted at once: nothing runs any more.
    expect(h.registry.delete(pods, 'default', 'once-good').removed).toBe(true);
  });

  it('reports ErrImagePull and then ImagePullBackOff for an unknown image', async () => {
    const rec = recordStatuses(h, 'ghost');
    createPod(h.registry, 'ghost', [{ name: 'c', image: 'example.com/ghost:1.0' }]);
    const pod = await waitForPod(
      h.registry,
      'ghost',
      'ImagePullBackOff',
      (p) => containerStatus(p, 'c')?.state?.waiting?.reason === 'ImagePullBackOff',
    );
    rec.stop();
    const reasons = rec.seen.map((s) => s.status.state?.waiting?.reason);
    expect(reasons.indexOf('ErrImagePull')).toBeGreaterThanOrEqual(0);
    expect(reasons.indexOf('ErrImagePull')).toBeLessThan(reasons.indexOf('ImagePullBackOff'));
    const errPull =
      rec.seen.find((s) => s.status.state?.waiting?.reason === 'ErrImagePull')?.status.state?.waiting?.message ?? '';
    expect(errPull).toMatch(/^Failed to pull image "example\.com\/ghost:1\.0": .*not found$/);
    expect(containerStatus(pod, 'c')?.state?.waiting?.message).toMatch(
      /^Back-off pulling image "example\.com\/ghost:1\.0"/,
    );
    expect(pod.status?.phase).toBe('Pending');
    expect(eventsOf(h.registry, 'ghost')).toEqual(
      expect.arrayContaining([
        'Failed: Error: ErrImagePull',
        'BackOff: Back-off pulling image "example.com/ghost:1.0"',
      ]),
    );
  });

  it('kills and restarts a container whose liveness probe fails', async () => {
    createPod(h.registry, 'sick', [
      demoContainer(
        { READY: 'false' },
        {
          readinessProbe: undefined,
          livenessProbe: {
            httpGet: { path: '/readyz', port: 8080 },
            periodSeconds: 1,
            failureThreshold: 2,
            terminationGracePeriodSeconds: 2,
          },
        },
      ),
    ]);
    const first = await waitForPod(
      h.registry,
      'sick',
      'running',
      (p) => containerStatus(p)?.state?.running !== undefined,
    );
    const firstPid = pidOf(containerStatus(first));
    const restarted = await waitForPod(
      h.registry,
      'sick',
      'restarted',
      (p) => (containerStatus(p)?.restartCount ?? 0) >= 1 && containerStatus(p)?.state?.running !== undefined,
    );
    expect(pidOf(containerStatus(restarted))).not.toBe(firstPid);
    expect(isAlive(firstPid)).toBe(false);
    expect(containerStatus(restarted)?.lastState?.terminated).toBeDefined();
    const events = eventsOf(h.registry, 'sick');
    expect(events).toContain('Unhealthy: Liveness probe failed: HTTP probe failed with statuscode: 503');
    expect(events).toContain('Killing: Container app failed liveness probe, will be restarted');
  });

  it('runs exec readiness probes in the pod directory', async () => {
    createPod(h.registry, 'slow', [
      {
        name: 'c',
        image: 'ramp.dev/exec:v1',
        command: ['sh', '-c', 'sleep 1; touch ready; exec sleep 1000'],
        readinessProbe: { exec: { command: ['test', '-f', 'ready'] }, periodSeconds: 1 },
      },
    ]);
    const pod = await waitForPod(h.registry, 'slow', 'Ready', isReady);
    expect(containerStatus(pod, 'c')?.restartCount).toBe(0);
    expect(eventsOf(h.registry, 'slow').some((e) => e.startsWith('Unhealthy: Readiness probe failed'))).toBe(true);
  });

  it('reports a command that cannot start as StartError and backs off', async () => {
    createPod(h.registry, 'typo', [{ name: 'c', image: 'ramp.dev/exec:v1', command: ['no-such-program-4711'] }]);
    const pod = await waitForPod(
      h.registry,
      'typo',
      'CrashLoopBackOff',
      (p) => containerStatus(p, 'c')?.state?.waiting?.reason === 'CrashLoopBackOff',
    );
    expect(containerStatus(pod, 'c')?.lastState?.terminated).toMatchObject({
      exitCode: 128,
      reason: 'StartError',
      message: 'exec: "no-such-program-4711": executable file not found in $PATH',
    });
  });

  it('restarts a container whose image is changed', async () => {
    createPod(h.registry, 'upgrade', [demoContainer()]);
    const before = await waitForPod(h.registry, 'upgrade', 'Ready', isReady);
    const next = clone(before);
    (next.spec?.containers ?? [])[0].image = 'ramp.dev/demo-app:v2';
    h.registry.update(pods, 'default', 'upgrade', next);
    const after = await waitForPod(
      h.registry,
      'upgrade',
      'v2 Ready',
      (p) => containerStatus(p)?.image === 'ramp.dev/demo-app:v2' && isReady(p),
    );
    expect(containerStatus(after)?.restartCount).toBe(1);
    expect(pidOf(containerStatus(after))).not.toBe(pidOf(containerStatus(before)));
    expect(eventsOf(h.registry, 'upgrade')).toContain('Killing: Container app definition changed, will be restarted');
  });
});
