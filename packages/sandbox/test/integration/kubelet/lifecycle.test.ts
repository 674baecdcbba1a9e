/**
 * Ends of pods and of the kubelet: graceful deletion honours the grace period and preStop, a pod
 * removed outright still has its processes killed, and close() leaves no process behind.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resource } from '../../../src/apiServer/resources';
import { isAlive } from '../../../src/util/processes';
import { waitFor } from '../../../src/util/ports';
import {
  containerStatus,
  createPod,
  demoContainer,
  getPod,
  type Harness,
  isReady,
  pidOf,
  pods,
  requireDemoApp,
  startKubelet,
  waitForPod,
} from './harness';

const stubborn = ['sh', '-c', 'trap "" TERM; while true; do sleep 0.1; done'];

describe('kubelet: pod deletion', () => {
  let h: Harness;
  let scratch: string;

  beforeAll(async () => {
    h = await startKubelet();
    scratch = mkdtempSync(join(tmpdir(), 'ramp-kubelet-scratch-'));
  });

  afterAll(async () => {
    await h?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('waits the grace period for a process that ignores SIGTERM, then kills it and removes the pod', async () => {
    createPod(h.registry, 'stubborn', [{ name: 'c', image: 'ramp.dev/exec:v1', command: stubborn }]);
    const pod = await waitForPod(
      h.registry,
      'stubborn',
      'Running',
      (p) => containerStatus(p, 'c')?.state?.running !== undefined,
    );
    const pid = pidOf(containerStatus(pod, 'c'));
    const began = Date.now();
    h.registry.delete(pods, 'default', 'stubborn', { gracePeriodSeconds: 1 });
    await waitFor(() => getPod(h.registry, 'stubborn') === undefined, 'pod removed', 10_000);
    expect(Date.now() - began).toBeGreaterThanOrEqual(900);
    expect(isAlive(pid)).toBe(false);
  });

  it('runs the preStop hook before SIGTERM', async () => {
    const marker = join(scratch, 'prestop');
    createPod(h.registry, 'polite', [
      {
        name: 'c',
        image: 'ramp.dev/exec:v1',
        command: ['sleep', '1000'],
        lifecycle: { preStop: { exec: { command: ['sh', '-c', `echo bye > ${marker}`] } } },
      },
    ]);
    await waitForPod(h.registry, 'polite', 'Running', (p) => containerStatus(p, 'c')?.state?.running !== undefined);
    h.registry.delete(pods, 'default', 'polite');
    await waitFor(() => getPod(h.registry, 'polite') === undefined, 'pod removed', 10_000);
    expect(readFileSync(marker, 'utf8')).toBe('bye\n');
  });

  it('kills the processes of a pod that is removed without grace', async () => {
    createPod(h.registry, 'forced', [{ name: 'c', image: 'ramp.dev/exec:v1', command: ['sleep', '1000'] }]);
    const pod = await waitForPod(
      h.registry,
      'forced',
      'Running',
      (p) => containerStatus(p, 'c')?.state?.running !== undefined,
    );
    const pid = pidOf(containerStatus(pod, 'c'));
    expect(h.registry.delete(pods, 'default', 'forced', { gracePeriodSeconds: 0 }).removed).toBe(true);
    await waitFor(() => !isAlive(pid), 'process gone', 5000);
  });
});

describe('kubelet: close', () => {
  beforeAll(() => requireDemoApp());

  it('stops every process, even one that ignores SIGTERM, and is safe to call twice', async () => {
    const h = await startKubelet({ shutdownGraceMs: 1000 });
    try {
      createPod(h.registry, 'web', [demoContainer()]);
      createPod(h.registry, 'stubborn', [{ name: 'c', image: 'ramp.dev/exec:v1', command: stubborn }]);
      const web = await waitForPod(h.registry, 'web', 'Ready', isReady);
      const stub = await waitForPod(
        h.registry,
        'stubborn',
        'Running',
        (p) => containerStatus(p, 'c')?.state?.running !== undefined,
      );
      const pids = [pidOf(containerStatus(web)), pidOf(containerStatus(stub, 'c'))];
      expect(h.kubelet.pids().sort()).toEqual([...pids].sort());
      expect(pids.every(isAlive)).toBe(true);

      await Promise.all([h.kubelet.close(), h.kubelet.close()]);
      expect(h.kubelet.state).toBe('closed');
      expect(pids.filter(isAlive)).toEqual([]);
      expect(readdirSync(join(h.stateDir, 'pids'))).toEqual([]);
      const node = h.registry.get(resource('nodes'), undefined, 'sandbox');
      const ready = (node.status as { conditions: { type: string; status: string }[] }).conditions.find(
        (c) => c.type === 'Ready',
      );
      expect(ready?.status).toBe('Unknown');
      await h.kubelet.close();
    } finally {
      await h.close();
    }
  });
});
