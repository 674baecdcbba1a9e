/**
 * A route edited by hand mid-rollout: Ramp notices (the router no longer holds what it wrote and
 * confirmed), pauses with a Warning event, and leaves the edit as it is through later reconciles — never
 * silently overwritten. Resuming has Ramp write its routing again.
 */
import { resource } from '@ramp/sandbox';
import { waitFor } from '@ramp/sandbox/util/ports';
import { createRollout, operate } from '../../../src/engine/rollouts';
import type { RolloutRecord } from '../../../src/engine/record';
import type { HTTPRoute } from '../../../src/kube/routers/gatewayApi/httpRoute';
import {
  demoPlan,
  prepareNamespace,
  startEngineHarness,
  waitForPhase,
  type EngineHarness,
} from '../../helpers/engineHarness';
import { routeBy, routerBlock, type RouterKind } from '../../helpers/grayRouters';

const WEIGHT = 'nginx.ingress.kubernetes.io/canary-weight';

interface Ingress {
  metadata: { annotations?: Record<string, string> };
}

describe.each<RouterKind>(['gatewayApi', 'nginxIngress'])('a route edited by hand (%s)', (kind) => {
  let h: EngineHarness;

  beforeAll(async () => {
    h = await startEngineHarness(`edited-${kind.toLowerCase()}`);
  }, 60_000);

  afterAll(async () => {
    await h?.close();
  });

  async function route(ns: string): Promise<HTTPRoute> {
    return (await h.sb.cluster.get(resource('httproutes'), ns, 'checkout')) as unknown as HTTPRoute;
  }

  async function canaryIngress(ns: string): Promise<Ingress> {
    return (await h.sb.cluster.get(resource('ingresses'), ns, 'checkout-canary')) as unknown as Ingress;
  }

  /** The canary's weight: in the HTTPRoute rule that splits between stable and canary, or the canary Ingress's annotation. */
  async function canaryWeight(ns: string): Promise<number | undefined> {
    if (kind === 'nginxIngress') {
      const w = (await canaryIngress(ns)).metadata.annotations?.[WEIGHT];
      return w === undefined ? undefined : Number(w);
    }
    const rule = ((await route(ns)).spec?.rules ?? []).find((x) => (x.backendRefs ?? []).length > 1);
    return rule?.backendRefs?.find((b) => b.name.endsWith('-canary'))?.weight;
  }

  /** Someone sends half of everyone to the canary with kubectl edit. */
  async function editByHand(ns: string): Promise<void> {
    if (kind === 'nginxIngress') {
      const ing = await canaryIngress(ns);
      ing.metadata.annotations = { ...ing.metadata.annotations, [WEIGHT]: '50' };
      await h.sb.cluster.update(resource('ingresses'), ns, 'checkout-canary', ing as never);
      return;
    }
    const edited = await route(ns);
    const rule = (edited.spec?.rules ?? []).find((x) => (x.backendRefs ?? []).length > 1);
    for (const b of rule?.backendRefs ?? []) b.weight = 50;
    await h.sb.cluster.update(resource('httproutes'), ns, 'checkout', edited as never);
  }

  it('is reported and paused on, kept through later reconciles, and rewritten only on resume', async () => {
    const ns = `edited-${kind.toLowerCase()}`;
    await routeBy(h, kind, ns, await prepareNamespace(h.sb, ns));
    const base = { namespace: ns, replicas: 1 };
    const first = await createRollout(
      h.deps,
      demoPlan({
        ...base,
        version: 'v1',
        metrics: [],
        strategy: { gray: { router: routerBlock(kind), steps: [{ setWeight: 100 }] } },
      }),
    );
    expect((await waitForPhase(h.deps, first.id, ['Succeeded', 'Failed'])).phase).toBe('Succeeded');
    const r = await createRollout(
      h.deps,
      demoPlan({
        ...base,
        version: 'v2',
        strategy: {
          gray: {
            router: routerBlock(kind),
            steps: [
              { setSlice: { matches: [{ header: { name: 'x-beta', value: '1' } }] } },
              { pause: { duration: '10m' } },
            ],
          },
        },
      }),
    );
    let rec: RolloutRecord | undefined;
    await waitFor(
      async () => {
        rec = await h.deps.store.get(r.id);
        const step = (rec?.strategy as { stepIndex?: number } | undefined)?.stepIndex;
        return rec?.phase === 'Progressing' && step === 1 && rec.cluster?.verifiedTraffic !== undefined;
      },
      'the slice confirmed by the router',
      60_000,
      50,
    );
    expect(await canaryWeight(ns)).toBe(0);
    await editByHand(ns);

    const paused = await waitForPhase(h.deps, r.id, ['Paused'], 30_000);
    expect(paused.pause?.kind).toBe('routeEdited');
    expect(paused.message).toMatch(/changed by someone else/);
    const events = await h.deps.events.read(r.id);
    expect(events.some((e) => e.event.type === 'Warning' && /changed by someone else/.test(e.event.message))).toBe(
      true,
    );

    // Three more looks at it (the analysis runs every second while paused): the edit stays.
    const lastAt = paused.analysis.lastAt ?? 0;
    await waitFor(
      async () => ((await h.deps.store.get(r.id))?.analysis.lastAt ?? 0) >= lastAt + 3000,
      'three more analysis looks',
      30_000,
      100,
    );
    expect(await canaryWeight(ns)).toBe(50);
    expect((await h.deps.store.get(r.id))?.phase).toBe('Paused');

    // A person says go on: Ramp writes its routing again.
    await operate(h.deps, r.id, 'resume');
    await waitFor(async () => (await canaryWeight(ns)) === 0, 'Ramp to write its routing again', 30_000, 50);
    await operate(h.deps, r.id, 'abort');
    expect((await waitForPhase(h.deps, r.id, ['RolledBack', 'Failed'])).phase).toBe('RolledBack');
  }, 180_000);
});
