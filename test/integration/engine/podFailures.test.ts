/**
 * A new revision whose pods certainly cannot run — an image that cannot be pulled, a container that keeps
 * crashing — is rolled back as soon as the kubelet says so, not at the progress deadline, and the event,
 * the record and the status view name the pod, the reason and where to look. `onPodFailure: pause` stops
 * instead, with the same words.
 */
import type { Plan } from '../../../src/plan/schema';
import { rolloutView } from '../../../src/api/views';
import { statusText } from '../../../src/cli/output/results';
import { createRollout } from '../../../src/engine/rollouts';
import { resource } from '@ramp/sandbox';
import {
  demoPlan,
  prepareNamespace,
  startEngineHarness,
  waitForPhase,
  type EngineHarness,
} from '../../helpers/engineHarness';

describe('pod failures of the new revision', () => {
  let h: EngineHarness;

  beforeAll(async () => {
    h = await startEngineHarness('podfail');
  }, 60_000);

  afterAll(async () => {
    await h?.close();
  });

  // A deadline far beyond what the test waits: a rollback inside the wait is the pod guard's, not the deadline's.
  const plan = (ns: string, version: string, o: { env?: Record<string, string>; onPodFailure?: 'pause' } = {}) => {
    const p: Plan = demoPlan({ namespace: ns, version, replicas: 2, metrics: [], env: o.env, progressDeadline: '10m' });
    if (o.onPodFailure) p.spec.onPodFailure = o.onPodFailure;
    return p;
  };

  async function stableApp(ns: string): Promise<void> {
    await prepareNamespace(h.sb, ns);
    const first = await waitForPhase(h.deps, (await createRollout(h.deps, plan(ns, 'v1'))).id, ['Succeeded', 'Failed']);
    expect(first.phase).toBe('Succeeded');
  }

  async function rollbackEvent(id: string): Promise<string> {
    const events = await h.deps.events.read(id);
    const texts = events.map((e) => `${e.event.type}: ${e.event.message}`);
    return texts.find((t) => /roll/i.test(t) && /cannot run/.test(t)) ?? texts.join('\n');
  }

  it('rolls back a canary whose image cannot be pulled within 30 s, naming the pod and the reason', async () => {
    const ns = 'podfail-image';
    await stableApp(ns);
    const p = plan(ns, 'v2');
    const container = p.spec.template?.spec?.containers[0];
    if (!container) throw new Error('the demo plan has no container');
    container.image = 'ramp.dev/no-such-image:v2';
    const started = Date.now();
    const r = await createRollout(h.deps, p);
    const done = await waitForPhase(h.deps, r.id, ['RolledBack', 'Failed', 'Succeeded'], 30_000);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(done.phase).toBe('RolledBack');
    const pod = new RegExp(`pod checkout-${done.revisions.new}-\\w+ cannot run: (ErrImagePull|ImagePullBackOff)`);
    expect(done.rollback?.reason).toMatch(pod);
    expect(done.rollback?.reason).toMatch(/kubectl describe pod -n podfail-image/);
    expect(await rollbackEvent(r.id)).toMatch(pod);
  }, 90_000);

  it('rolls back a crash-looping canary within 30 s with its exit code, restarts and a kubectl logs hint', async () => {
    const ns = 'podfail-crash';
    await stableApp(ns);
    // When a canary pod first restarts, as a watch on the API server sees it: the measure.
    let firstRestart: number | undefined;
    const pods = h.sb.cluster.watch(resource('pods'), { namespace: ns }, (e) => {
      const statuses = (e.object as { status?: { containerStatuses?: { restartCount?: number }[] } }).status
        ?.containerStatuses;
      if (firstRestart === undefined && statuses?.some((c) => (c.restartCount ?? 0) > 0)) firstRestart = Date.now();
    });
    await pods.synced;
    const started = Date.now();
    const r = await createRollout(h.deps, plan(ns, 'v2', { env: { EXIT_AFTER_MS: '300', EXIT_CODE: '3' } }));
    const done = await waitForPhase(h.deps, r.id, ['RolledBack', 'Failed', 'Succeeded'], 30_000);
    pods.stop();
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(done.phase).toBe('RolledBack');
    const measured =
      firstRestart === undefined
        ? 'no restart seen before the rollback'
        : `first restart → rollback began ${(done.rollback?.since ?? 0) - firstRestart} ms, → rolled back ${done.updatedAt - firstRestart} ms`;
    process.stderr.write(`[podfail] crash loop: ${measured}\n`);
    expect(done.rollback?.reason).toMatch(/cannot run: CrashLoopBackOff \(exit code 3, \d+ restarts?\)/);
    expect(done.rollback?.reason).toMatch(/see kubectl logs -n podfail-crash checkout-\S+ --previous/);
    expect(await rollbackEvent(r.id)).toMatch(/CrashLoopBackOff/);
  }, 90_000);

  it('pauses instead when the plan says onPodFailure: pause, says why, and status shows the failing pod', async () => {
    const ns = 'podfail-pause';
    await stableApp(ns);
    const r = await createRollout(
      h.deps,
      plan(ns, 'v2', { env: { EXIT_AFTER_MS: '300', EXIT_CODE: '1' }, onPodFailure: 'pause' }),
    );
    const paused = await waitForPhase(h.deps, r.id, ['Paused', 'RolledBack', 'Failed', 'Succeeded'], 30_000);
    expect(paused.phase).toBe('Paused');
    expect(paused.pause?.kind).toBe('podFailure');
    expect(paused.message).toMatch(/^paused: pod checkout-\S+ cannot run: CrashLoopBackOff/);

    // The status shows what runs beside the target: each revision's ready pods, and the failing pod.
    const view = rolloutView(paused);
    const canary = view.pods.find((x) => x.revision === paused.revisions.new);
    expect(canary?.pods?.some((pod) => pod.problem?.exitCode === 1)).toBe(true);
    const text = statusText({ ...view, history: [] }, Date.now());
    expect(text).toMatch(/pods:\n\s+stable\s+\S+\s+2\/2 ready/);
    expect(text).toMatch(/✗ checkout-\S+: (CrashLoopBackOff|Error) \(exit code 1/);
  }, 90_000);
});
