/**
 * Blue-green end to end on the sandbox: real pods, the real Prometheus judging them, steady load through
 * the gateway, and the API server's watch history as evidence. A healthy preview is promoted with no
 * failed request and none reaching a pod that was not ready, the switch is one write to the stable
 * Service and the gateway serves only the new revision within a second of it; an abort inside the
 * scale-down delay is one write back and starts no pod; a preview that fails only its own (header-routed)
 * test traffic is never promoted; a regression that shows only after the switch is rolled back by the
 * post-promotion analysis; and a preview no test request reaches is never passed.
 */
import { createRollout, operate } from '../../../src/engine/rollouts';
import type { RolloutRecord } from '../../../src/engine/record';
import { LoadGenerator, resource, waitFor, type ResponseEvent } from '@ramp/sandbox';
import { ClusterHistory, sentAt } from '../../helpers/clusterHistory';
import {
  demoPlan,
  prepareNamespace,
  startEngineHarness,
  waitForPhase,
  type EngineHarness,
} from '../../helpers/engineHarness';

const REPLICAS = 3;
const HEADER = { name: 'x-preview', value: '1' };
const ENDED = ['Succeeded', 'RolledBack', 'Failed'] as const;

function bgPlan(
  ns: string,
  version: string,
  blueGreen: Record<string, unknown>,
  o: { errorRate?: number; env?: Record<string, string>; progressDeadline?: string } = {},
) {
  const judged = 'prePromotionAnalysis' in blueGreen || 'postPromotionAnalysis' in blueGreen;
  return demoPlan({
    namespace: ns,
    version,
    replicas: REPLICAS,
    errorRate: o.errorRate,
    env: o.env,
    progressDeadline: o.progressDeadline,
    metrics: judged ? undefined : [],
    analysis: { inconclusiveAfter: '8s' },
    strategy: { blueGreen: { router: { gatewayApi: { httpRoute: 'checkout' } }, ...blueGreen } },
  });
}

interface Scene {
  ns: string;
  host: string;
  history: ClusterHistory;
  load: LoadGenerator;
  responses: ResponseEvent[];
  stable: string;
}

describe('blue-green rollouts on the sandbox', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness('bluegreen');
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  /** v1 deployed (a blue-green first deploy), the history recording, users' load on the app's route. */
  async function scene(ns: string): Promise<Scene> {
    const host = await prepareNamespace(h.sb, ns);
    const first = await waitForPhase(h.deps, (await createRollout(h.deps, bgPlan(ns, 'v1', {}))).id, [...ENDED]);
    expect(first.phase).toBe('Succeeded');
    const history = new ClusterHistory(h.sb, ns);
    const responses: ResponseEvent[] = [];
    const load = new LoadGenerator({
      url: h.sb.urls.gateway,
      host,
      ratePerSecond: 100,
      seed: 3,
      onResponse: (e) => responses.push(e),
    });
    load.start();
    return { ns, host, history, load, responses, stable: first.revisions.new };
  }

  /** Test traffic to the preview: the app's route with the preview header. */
  function previewLoad(s: Scene, onResponse?: (e: ResponseEvent) => void): LoadGenerator {
    const l = new LoadGenerator({
      url: h.sb.urls.gateway,
      host: s.host,
      ratePerSecond: 30,
      seed: 5,
      headers: { [HEADER.name]: HEADER.value },
      onResponse,
    });
    l.start();
    return l;
  }

  async function setErrorRate(ns: string, revision: string, errorRate: number): Promise<void> {
    const pods = h.sb.registry
      .list(resource('pods'), { namespace: ns })
      .items.filter((p) => p.metadata.labels?.['ramp.dev/revision'] === revision);
    for (const p of pods) {
      const ip = (p.status as { podIP?: string } | undefined)?.podIP;
      const res = await fetch(`http://${ip}:8080/admin/config`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ errorRate }),
      });
      expect(res.ok).toBe(true);
    }
  }

  async function until(id: string, what: string, f: (r: RolloutRecord) => boolean): Promise<RolloutRecord> {
    let last: RolloutRecord | undefined;
    await waitFor(
      async () => {
        last = await h.deps.store.get(id);
        return !!last && f(last);
      },
      what,
      90_000,
      50,
    );
    return last as RolloutRecord;
  }

  it('promotes under load: no failed request, none to a pod not ready, the switch one write and all on the new revision within 1 s', async () => {
    const s = await scene('bg-promote');
    const preview: ResponseEvent[] = [];
    const pl = previewLoad(s, (e) => preview.push(e));
    const r = await createRollout(
      h.deps,
      bgPlan(s.ns, 'v2', {
        previewReplicas: 1,
        previewTraffic: { header: HEADER },
        prePromotionAnalysis: { min: '3s' },
        autoPromote: { after: '2s' },
        scaleDownDelay: '4s',
      }),
    );
    const done = await waitForPhase(h.deps, r.id, [...ENDED], 150_000);
    const rev = done.revisions.new;
    await waitFor(
      async () => s.history.replicas(`checkout-${s.stable}`).at(-1) === 0,
      'the old ReplicaSet at 0',
      20_000,
      100,
    );
    await new Promise((res) => setTimeout(res, 1500));
    const report = await s.load.stop();
    await pl.stop();
    s.history.stop();
    expect(done.phase).toBe('Succeeded');
    // One write switched the stable Service; before it the users saw only the old revision.
    const writes = s.history.serviceWrites('checkout');
    expect(writes).toHaveLength(1);
    const switchAt = writes[0].at;
    expect(s.history.selectorWrites('checkout')).toEqual([{ at: switchAt, revision: rev }]);
    expect(s.responses.filter((e) => sentAt(e) < switchAt - 100 && e.revision === rev)).toEqual([]);
    // Every request sent 1 s after the write reached the new revision.
    const late = s.responses.filter((e) => sentAt(e) >= switchAt + 1000);
    expect(late.length).toBeGreaterThan(100);
    expect(late.filter((e) => e.revision !== rev)).toEqual([]);
    const lastOld = Math.max(...s.responses.filter((e) => e.revision === s.stable).map(sentAt));
    process.stderr.write(`blue-green: last request to the old revision ${lastOld - switchAt} ms after the switch\n`);
    // No failure, and no answer from a pod that was not ready.
    expect(report.transportErrors).toBe(0);
    expect(s.responses.filter((e) => (e.status ?? 0) >= 500)).toEqual([]);
    expect(s.history.fromUnreadyPods([...s.responses, ...preview])).toEqual([]);
    // The preview took the test traffic (1 pod) before it grew to full size; the old revision kept its pods until after the delay.
    expect(preview.some((e) => e.revision === rev && sentAt(e) < switchAt)).toBe(true);
    expect(s.history.replicas(`checkout-${rev}`)).toEqual([1, REPLICAS]);
    expect(s.history.replicas(`checkout-${s.stable}`)).toEqual([REPLICAS, 0]);
    const oldDown = s.history.of('ReplicaSet', `checkout-${s.stable}`).find((e) => e.object.spec?.replicas === 0)!;
    expect(oldDown.at).toBeGreaterThanOrEqual(switchAt + 4000);
  }, 240_000);

  it('an abort inside the scale-down delay is one selector write back and starts no pod', async () => {
    const s = await scene('bg-undo');
    const r = await createRollout(h.deps, bgPlan(s.ns, 'v2', { scaleDownDelay: '2m' }));
    await until(r.id, 'the switch', (x) => x.phase === 'Promoting' && x.strategy.switchedAt !== undefined);
    await new Promise((res) => setTimeout(res, 1500));
    const abortAt = Date.now();
    await operate(h.deps, r.id, 'abort');
    const done = await waitForPhase(h.deps, r.id, [...ENDED], 60_000);
    await new Promise((res) => setTimeout(res, 1500));
    const report = await s.load.stop();
    s.history.stop();
    expect(done.outcome).toBe('aborted');
    const back = s.history.selectorWrites('checkout', abortAt);
    expect(back).toEqual([{ at: back[0].at, revision: s.stable }]);
    expect(s.history.serviceWrites('checkout', abortAt)).toHaveLength(1);
    expect(s.history.podsCreated(abortAt)).toEqual([]);
    expect(s.history.replicas(`checkout-${s.stable}`)).toEqual([REPLICAS]);
    const late = s.responses.filter((e) => sentAt(e) >= back[0].at + 1000);
    expect(late.length).toBeGreaterThan(50);
    expect(late.filter((e) => e.revision !== s.stable)).toEqual([]);
    process.stderr.write(`blue-green: abort → selector back in ${back[0].at - abortAt} ms\n`);
    expect(report.transportErrors).toBe(0);
    expect(s.responses.filter((e) => (e.status ?? 0) >= 500)).toEqual([]);
  }, 180_000);

  it('never promotes a preview that fails only its own test traffic; users never see it', async () => {
    const s = await scene('bg-bad');
    const preview: ResponseEvent[] = [];
    const pl = previewLoad(s, (e) => preview.push(e));
    const r = await createRollout(
      h.deps,
      bgPlan(
        s.ns,
        'v2',
        { previewTraffic: { header: HEADER }, prePromotionAnalysis: { min: '20s' }, autoPromote: { after: '0s' } },
        { errorRate: 0.5 },
      ),
    );
    const done = await waitForPhase(h.deps, r.id, [...ENDED], 120_000);
    await s.load.stop();
    await pl.stop();
    s.history.stop();
    expect(done.phase).toBe('RolledBack');
    expect(done.rollback?.reason).toMatch(/^analysis failed on the preview/);
    expect(s.history.serviceWrites('checkout')).toEqual([]);
    expect(s.responses.filter((e) => e.revision === done.revisions.new)).toEqual([]);
    expect(s.responses.filter((e) => (e.status ?? 0) >= 500)).toEqual([]);
    expect(preview.some((e) => e.revision === done.revisions.new && (e.status ?? 0) >= 500)).toBe(true);
    expect(s.history.replicas(`checkout-${done.revisions.new}`)).toEqual([REPLICAS, 0]);
  }, 180_000);

  it('rolls back a regression that shows only after the switch: one selector write back, no pod started', async () => {
    const s = await scene('bg-post');
    const pl = previewLoad(s);
    const r = await createRollout(
      h.deps,
      bgPlan(s.ns, 'v2', {
        previewTraffic: { header: HEADER },
        // The analysis after the switch is judged against the preview's windows, each once: it may last no
        // longer than the preview's surely does.
        prePromotionAnalysis: { min: '10s' },
        autoPromote: { after: '5s' },
        postPromotionAnalysis: { min: '10s' },
        scaleDownDelay: '30s',
      }),
    );
    const switched = await until(r.id, 'the switch', (x) => x.strategy.switchedAt !== undefined);
    await pl.stop();
    const injectedAt = Date.now();
    await setErrorRate(s.ns, switched.revisions.new, 0.3);
    const done = await waitForPhase(h.deps, r.id, [...ENDED], 90_000);
    await new Promise((res) => setTimeout(res, 1500));
    await s.load.stop();
    s.history.stop();
    expect(done.phase).toBe('RolledBack');
    expect(done.rollback?.reason).toMatch(/^analysis failed after the switch/);
    const writes = s.history.selectorWrites('checkout');
    expect(writes.map((w) => w.revision)).toEqual([done.revisions.new, s.stable]);
    expect(s.history.podsCreated(injectedAt)).toEqual([]);
    expect(s.history.replicas(`checkout-${s.stable}`)).toEqual([REPLICAS]);
    process.stderr.write(`blue-green: regression after the switch rolled back in ${writes[1].at - injectedAt} ms\n`);
  }, 180_000);

  it('rolls back a preview whose pods crash-loop within 30 s, naming the pod; users never see it', async () => {
    const s = await scene('bg-crash');
    const started = Date.now();
    // A deadline far beyond the wait: a rollback inside it is the pod guard's, not the deadline's.
    const r = await createRollout(
      h.deps,
      bgPlan(s.ns, 'v2', {}, { env: { EXIT_AFTER_MS: '300', EXIT_CODE: '3' }, progressDeadline: '10m' }),
    );
    const done = await waitForPhase(h.deps, r.id, [...ENDED], 30_000);
    const tookMs = Date.now() - started;
    await s.load.stop();
    s.history.stop();
    expect(done.phase).toBe('RolledBack');
    expect(done.rollback?.reason).toMatch(
      new RegExp(
        `^pod checkout-${done.revisions.new}-\\w+ cannot run: CrashLoopBackOff \\(exit code 3, \\d+ restarts?\\)`,
      ),
    );
    expect(s.history.serviceWrites('checkout')).toEqual([]);
    expect(s.responses.filter((e) => e.revision === done.revisions.new)).toEqual([]);
    expect(s.history.replicas(`checkout-${s.stable}`)).toEqual([REPLICAS]);
    process.stderr.write(`blue-green: crash-looping preview rolled back in ${tookMs} ms\n`);
  }, 90_000);

  it('a preview no test request reaches is never passed: the analysis is inconclusive and the rollout pauses', async () => {
    const s = await scene('bg-quiet');
    const r = await createRollout(
      h.deps,
      bgPlan(s.ns, 'v2', { previewTraffic: { header: HEADER }, prePromotionAnalysis: { min: '2s' } }),
    );
    const paused = await waitForPhase(h.deps, r.id, ['Paused', ...ENDED], 90_000);
    expect(paused.phase).toBe('Paused');
    expect(paused.pause?.kind).toBe('inconclusive');
    await operate(h.deps, r.id, 'abort');
    const done = await waitForPhase(h.deps, r.id, [...ENDED], 60_000);
    await s.load.stop();
    s.history.stop();
    expect(done.outcome).toBe('aborted');
    expect(s.history.serviceWrites('checkout')).toEqual([]);
    const events = (await h.deps.events.read(r.id, { count: 1000 })).map((e) => e.event.type);
    expect(events).not.toContain('Promoting');
  }, 180_000);
});
