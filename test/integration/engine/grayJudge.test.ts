/**
 * The judge on a gray slice, on each router that can do gray: the new revision gets the beta testers'
 * requests and no other, and those alone decide — a version as good as stable is promoted, one whose
 * errors only the slice sees is rolled back before any weight reaches everyone else.
 */
import { LoadGenerator } from '@ramp/sandbox';
import { PlanValidationError } from '../../../src/errors';
import { createRollout } from '../../../src/engine/rollouts';
import {
  demoPlan,
  prepareNamespace,
  startEngineHarness,
  waitForPhase,
  type EngineHarness,
} from '../../helpers/engineHarness';
import { routeBy, routerBlock, type RouterKind } from '../../helpers/grayRouters';

describe.each<RouterKind>(['gatewayApi', 'nginxIngress'])('the judge on a gray slice (%s)', (kind) => {
  let h: EngineHarness;

  beforeAll(async () => {
    h = await startEngineHarness(`grayjudge-${kind.toLowerCase()}`);
  }, 60_000);

  afterAll(async () => {
    await h?.close();
  });

  it('promotes a version as good as stable and rolls back one whose errors only the beta slice sees', async () => {
    const ns = `grayjudge-${kind.toLowerCase()}`;
    const host = await prepareNamespace(h.sb, ns);
    await routeBy(h, kind, ns, host);
    const gray = (steps: unknown[]) => ({ gray: { router: routerBlock(kind), steps } });
    const plan = (version: string, errorRate: number) =>
      demoPlan({
        namespace: ns,
        version,
        replicas: 2,
        errorRate,
        strategy: gray([
          { setSlice: { matches: [{ header: { name: 'x-beta', value: '1' } }] } },
          { analyze: { min: '3s' } },
          { setWeight: 50 },
        ]),
      });
    const first = await createRollout(
      h.deps,
      demoPlan({ namespace: ns, version: 'v1', replicas: 2, metrics: [], strategy: gray([{ setWeight: 100 }]) }),
    );
    expect((await waitForPhase(h.deps, first.id, ['Succeeded', 'Failed'])).phase).toBe('Succeeded');

    const url = h.sb.urls.gateway;
    const beta = new LoadGenerator({ url, host, headers: { 'x-beta': '1' }, ratePerSecond: 30, seed: 1 });
    const everyone = new LoadGenerator({ url, host, ratePerSecond: 30, seed: 2 });
    beta.start();
    everyone.start();
    let badRevision = '';
    try {
      const good = await createRollout(h.deps, plan('v2', 0));
      const promoted = await waitForPhase(h.deps, good.id, ['Succeeded', 'RolledBack', 'Failed']);
      expect({ phase: promoted.phase, message: promoted.message }).toEqual({
        phase: 'Succeeded',
        message: expect.any(String) as string,
      });

      // The bad version: before its weight step nobody but the beta testers reaches it.
      const bad = await createRollout(h.deps, plan('v3', 0.3));
      const rolledBack = await waitForPhase(h.deps, bad.id, ['Succeeded', 'RolledBack', 'Failed']);
      expect(rolledBack.phase).toBe('RolledBack');
      badRevision = rolledBack.revisions.new;
      expect(rolledBack.rollback?.reason).toMatch(/^analysis failed/);
      const steps = (await h.deps.events.read(bad.id)).filter((e) => e.event.type === 'StepStarted');
      expect(steps.map((e) => e.event.message).some((m) => /setWeight 50/.test(m))).toBe(false);
    } finally {
      const [b, e] = await Promise.all([beta.stop(), everyone.stop()]);
      expect(b.transportErrors + e.transportErrors).toBe(0);
      if (badRevision) {
        expect(b.byRevision[badRevision]?.total ?? 0).toBeGreaterThan(0);
        expect(e.byRevision[badRevision]).toBeUndefined();
      }
    }
  }, 240_000);

  it('refuses before anything is written a sticky weight the router cannot keep (nginx: an Ingress without cookie affinity)', async () => {
    const ns = `graysticky-${kind.toLowerCase()}`;
    const host = await prepareNamespace(h.sb, ns);
    await routeBy(h, kind, ns, host);
    const plan = demoPlan({
      namespace: ns,
      version: 'v2',
      metrics: [],
      strategy: { gray: { router: routerBlock(kind), steps: [{ setWeight: 20, sticky: true }] } },
    });
    if (kind === 'gatewayApi') {
      await expect(createRollout(h.deps, plan)).resolves.toMatchObject({ phase: 'Pending' });
      return;
    }
    const refused = await createRollout(h.deps, plan).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PlanValidationError);
    expect((refused as PlanValidationError).problems).toEqual([
      {
        path: 'spec.strategy.gray.router.nginxIngress.ingress',
        message: expect.stringMatching(/affinity: cookie/) as string,
      },
    ]);
    expect(await h.deps.store.getLatest(ns, 'checkout')).toBeUndefined();
  });
});
