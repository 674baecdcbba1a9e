/**
 * What goes wrong, on the sandbox: pods that never become ready, Prometheus vanishing mid-rollout,
 * an API server that fails requests, and plans that cannot work — refused before any write. The progress
 * deadline and the refusals also run on the real control plane; API faults cannot (they are injected by the
 * home-made API server: kube-apiserver has no such hook), and a Prometheus outage does not depend on it.
 */
import { ActiveRolloutExistsError, PlanValidationError } from '../../../src/errors';
import { createRollout } from '../../../src/engine/rollouts';
import { LoadGenerator, resource, waitFor } from '@ramp/sandbox';
import { itHomeMade } from '../../../packages/sandbox/test/helpers/controlPlane';
import { validatePlan } from '../../../src/plan/parse';
import {
  demoPlan,
  prepareNamespace,
  startEngineHarness,
  waitForPhase,
  type EngineHarness,
} from '../../helpers/engineHarness';
import { canaryState } from '../../helpers/canaryState';

describe('rollouts when things go wrong', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness('failures');
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  async function deployed(ns: string): Promise<LoadGenerator> {
    const host = await prepareNamespace(h.sb, ns);
    const first = await createRollout(h.deps, demoPlan({ namespace: ns, version: 'v1' }));
    expect((await waitForPhase(h.deps, first.id, ['Succeeded', 'Failed'])).phase).toBe('Succeeded');
    const load = new LoadGenerator({ url: h.sb.urls.gateway, host, ratePerSecond: 100, seed: 5 });
    load.start();
    return load;
  }

  it('rolls back at the progress deadline when the canary pods never become ready', async () => {
    const load = await deployed('deadline');
    const r = await createRollout(
      h.deps,
      demoPlan({ namespace: 'deadline', version: 'v2', neverReady: true, progressDeadline: '5s' }),
    );
    const done = await waitForPhase(h.deps, r.id, ['RolledBack', 'Succeeded', 'Failed']);
    const report = await load.stop();
    expect(done.phase).toBe('RolledBack');
    expect(done.rollback?.reason).toContain('progress deadline');
    expect(Object.keys(report.byRevision)).toEqual([done.revisions.stable]);
  }, 120_000);

  // Prometheus going away is the same whichever control plane runs: home-made lane only.
  itHomeMade(
    'pauses as inconclusive while Prometheus is down, never promotes, and goes on when it is back',
    async () => {
      const load = await deployed('outage');
      const r = await createRollout(
        h.deps,
        demoPlan({
          namespace: 'outage',
          version: 'v2',
          steps: [{ setWeight: 20 }, { analyze: { min: '3s' } }, { setWeight: 50 }, { pause: { duration: '2s' } }],
          analysis: { inconclusiveAfter: '3s' },
        }),
      );
      await waitFor(
        async () => {
          const cur = await h.deps.store.get(r.id);
          return !!cur && canaryState(cur).stepIndex >= 1;
        },
        'the canary to take traffic',
        60_000,
        100,
      );
      await h.sb.prometheus?.stop();
      const paused = await waitForPhase(h.deps, r.id, ['Paused', 'Succeeded', 'RolledBack'], 60_000);
      expect(paused.phase).toBe('Paused');
      expect(paused.pause?.kind).toBe('inconclusive');
      expect(paused.message).toMatch(/inconclusive/);
      // It stays paused (and never promotes) while Prometheus is away.
      await new Promise((res) => setTimeout(res, 4000));
      const still = await h.deps.store.get(r.id);
      expect(still?.phase).toBe('Paused');
      await h.sb.prometheus?.start();
      const done = await waitForPhase(h.deps, r.id, ['Succeeded', 'RolledBack', 'Failed'], 120_000);
      await load.stop();
      expect(done.phase).toBe('Succeeded');
      const types = (await h.deps.events.read(r.id)).map((e) => e.event.type);
      expect(types.indexOf('Resumed')).toBeGreaterThan(types.indexOf('Paused'));
      expect(types.indexOf('Promoting')).toBeGreaterThan(types.indexOf('Resumed'));
    },
    180_000,
  );

  // Home-made only: the faults are injected by the home-made API server (kube-apiserver has no such hook).
  itHomeMade(
    'retries through API server faults (409, 500, 503, dropped watches) and still ends correctly',
    async () => {
      const load = await deployed('faults');
      const ids = [
        h.sb.faults.add({
          match: { verbs: ['patch', 'update', 'create'], resources: ['replicasets', 'services'] },
          action: { type: 'status', code: 500 },
          probability: 0.3,
        }),
        h.sb.faults.add({
          match: { verbs: ['update'], resources: ['httproutes'] },
          action: { type: 'status', code: 409 },
          times: 3,
        }),
        h.sb.faults.add({ match: { verbs: ['get', 'list'] }, action: { type: 'status', code: 503 }, probability: 0.1 }),
        h.sb.faults.add({ match: { verbs: ['watch'] }, action: { type: 'dropWatch', afterMs: 500 } }),
      ];
      const r = await createRollout(h.deps, demoPlan({ namespace: 'faults', version: 'v2' }));
      const done = await waitForPhase(h.deps, r.id, ['Succeeded', 'RolledBack', 'Failed'], 120_000);
      for (const id of ids) h.sb.faults.remove(id);
      await load.stop();
      expect(done.phase).toBe('Succeeded');
      const faulted = h.sb.apiServer!.requestLog.filter((x) => x.status >= 409 && x.userAgent.startsWith('ramp'));
      expect(faulted.length).toBeGreaterThan(0);
    },
    180_000,
  );

  it('refuses bad plans with the field path before writing anything to the cluster', async () => {
    const ns = 'refused';
    await prepareNamespace(h.sb, ns);
    const bad = (mutate: (p: Record<string, unknown>) => void): unknown => {
      const p = JSON.parse(JSON.stringify(demoPlan({ namespace: ns, version: 'v1' }))) as Record<string, unknown>;
      mutate(p);
      return p;
    };
    const attempts: [unknown, string][] = [
      [
        bad(
          (p) =>
            ((p.spec as { strategy: { canary: { steps: unknown[] } } }).strategy.canary.steps[0] = { setWeight: 250 }),
        ),
        'spec.strategy.canary.steps[0].setWeight: expected an integer 0–100',
      ],
      [
        bad(
          (p) =>
            ((p.spec as { strategy: { canary: { router: unknown } } }).strategy.canary.router = {
              gatewayApi: { httpRoute: 'missing' },
            }),
        ),
        'spec.strategy.canary.router.gatewayApi.httpRoute',
      ],
      [
        bad(
          (p) =>
            ((p.spec as { analysis: { metrics: unknown[] } }).analysis.metrics = [
              { name: 'q', query: 'sum(rate(x[1m]', threshold: { max: 1 } },
            ]),
        ),
        'spec.analysis.metrics[0].query',
      ],
      [bad((p) => ((p.metadata as { namespace: string }).namespace = 'nowhere')), 'metadata.namespace'],
    ];
    for (const [plan, path] of attempts) {
      const err = await (async () => createRollout(h.deps, validatePlan(plan)))().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PlanValidationError);
      expect((err as PlanValidationError).message).toContain(path);
    }
    expect(await h.sb.cluster.list(resource('replicasets'), { namespace: ns })).toHaveLength(0);
    expect(await h.sb.cluster.list(resource('services'), { namespace: ns })).toHaveLength(0);
    expect(await h.deps.store.list(ns)).toHaveLength(0);
  });

  it('refuses a second active rollout of the same app', async () => {
    await prepareNamespace(h.sb, 'twice');
    const first = await createRollout(h.deps, demoPlan({ namespace: 'twice', version: 'v1' }));
    const err = await createRollout(h.deps, demoPlan({ namespace: 'twice', version: 'v2' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ActiveRolloutExistsError);
    expect((err as Error).message).toContain(first.id);
    await waitForPhase(h.deps, first.id, ['Succeeded']);
  }, 60_000);
});
