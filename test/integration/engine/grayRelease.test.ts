/**
 * Gray release end to end on the sandbox, with real requests through its gateway, on each router that
 * can do it: a header slice reaches the new revision and nothing else does; a share of users by id is
 * within a point of what was asked, each user on one version during a step, and monotone from 1% to 5%,
 * 10% and 25% (random UUIDs and sequential numbers); a sticky weight keeps a client on the new revision; and
 * it promotes at the end. How long a step's write takes to reach the gateway is printed for the note.
 */
import { createRollout, operate } from '../../../src/engine/rollouts';
import type { RolloutRecord } from '../../../src/engine/record';
import { inSlice } from '../../../src/strategies/gray/userSlice';
import {
  demoPlan,
  prepareNamespace,
  startEngineHarness,
  waitForPhase,
  type EngineHarness,
} from '../../helpers/engineHarness';
import { routeBy, routerBlock, type RouterKind } from '../../helpers/grayRouters';
import { seededUuids, sendEach } from '../../helpers/userTraffic';
import { waitFor } from '@ramp/sandbox/util/ports';

/** Sticky weights on ingress-nginx ride on the main Ingress's cookie affinity (the router says so if it is missing). */
const AFFINITY = {
  'nginx.ingress.kubernetes.io/affinity': 'cookie',
  'nginx.ingress.kubernetes.io/session-cookie-name': 'ramp-sticky',
};

/** The app's first version, deployed through the router under test (a first deploy goes straight to stable). */
function firstPlan(kind: RouterKind, base: { namespace: string; replicas: number; metrics: unknown[] }) {
  return demoPlan({
    ...base,
    version: 'v1',
    strategy: { gray: { router: routerBlock(kind), steps: [{ setWeight: 100 }] } },
  });
}

/** Waits for the rollout to pause at step `index` with the router confirming the split, and answers it. */
async function pausedAt(h: EngineHarness, id: string, index: number): Promise<RolloutRecord> {
  let last: RolloutRecord | undefined;
  await waitFor(
    async () => {
      last = await h.deps.store.get(id);
      const s = last?.strategy as { stepIndex?: number } | undefined;
      return last?.phase === 'Paused' && s?.stepIndex === index && last.cluster?.trafficVerified === true;
    },
    `rollout ${id} paused at step ${index + 1} with the route confirmed`,
    60_000,
    50,
  ).catch((e: Error) => {
    throw new Error(`${e.message}; it is ${last?.phase}: ${last?.message}`);
  });
  return last as RolloutRecord;
}

/** How long after `since` a probe first gets the new revision (the step's write reaching the gateway). */
async function propagation(send: () => Promise<string>, revision: string, since: number): Promise<number> {
  await waitFor(
    async () => (await send()) === revision,
    'the gateway to route the probe to the new revision',
    30_000,
    10,
  );
  return Date.now() - since;
}

/** Each client keeps the cookies it is given and sends them back. */
class Client {
  private readonly jar = new Map<string, string>();
  readonly seen: string[] = [];

  headers(): Record<string, string> {
    const cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    return cookie ? { cookie } : {};
  }

  keep(setCookie: string[], revision: string): void {
    this.seen.push(revision);
    for (const c of setCookie) {
      const [pair] = c.split(';');
      const eq = pair.indexOf('=');
      if (eq > 0) this.jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
  }
}

const ROUTERS: RouterKind[] = ['gatewayApi', 'nginxIngress'];

describe.each(ROUTERS)('gray release on %s', (kind) => {
  let h: EngineHarness;

  beforeAll(async () => {
    h = await startEngineHarness(`gray-${kind.toLowerCase()}`);
  }, 60_000);

  afterAll(async () => {
    await h?.close();
  });

  it('sends a header slice, then 5% → 10% → 25% of users exactly and stickily, then a sticky weight; promotes', async () => {
    const ns = `gray-${kind.toLowerCase()}`;
    const host = await prepareNamespace(h.sb, ns);
    await routeBy(h, kind, ns, host, AFFINITY);
    const url = h.sb.urls.gateway;
    const base = { namespace: ns, replicas: 2, metrics: [] };
    const first = await waitForPhase(h.deps, (await createRollout(h.deps, firstPlan(kind, base))).id, [
      'Succeeded',
      'Failed',
    ]);
    expect(first.phase).toBe('Succeeded');
    const stable = first.revisions.new;
    const users = { header: 'x-user-id', idFormat: 'uuid' };
    const plan = demoPlan({
      ...base,
      version: 'v2',
      strategy: {
        gray: {
          router: routerBlock(kind),
          steps: [
            { setSlice: { matches: [{ header: { name: 'x-beta', value: '1' } }] } },
            { pause: {} },
            { setSlice: { matches: [], users: { percent: 1, ...users } } },
            { pause: {} },
            { setSlice: { users: { percent: 5 } } },
            { pause: {} },
            { setSlice: { users: { percent: 10 } } },
            { pause: {} },
            { setSlice: { users: { percent: 25 } } },
            { pause: {} },
            { setWeight: 20, sticky: true },
            { pause: {} },
          ],
        },
      },
    });
    const r = await createRollout(h.deps, plan);
    // From a step's write (the operation's commit) to the gateway routing by it: probed as the step is applied.
    const timings: number[] = [];

    // The header slice: every request with x-beta: 1 and no other (5,000 requests, half of them beta).
    const fresh = (await pausedAt(h, r.id, 1)).revisions.new;
    const mixed = Array.from({ length: 5000 }, (_, i) => (i % 2 === 0 ? { 'x-beta': '1' } : { 'x-beta': '0' }));
    const answers = await sendEach(url, host, mixed);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const beta = answers.filter((_, i) => i % 2 === 0);
    const others = answers.filter((_, i) => i % 2 === 1);
    expect(beta.filter((a) => a.revision === fresh)).toHaveLength(2500);
    expect(others.filter((a) => a.revision === stable)).toHaveLength(2500);

    // Users by id: 5,000 random UUIDs, each sent twice per step.
    const ids = seededUuids(5000, 7);
    const onNew: Record<number, Set<string>> = {};
    for (const [pauseIndex, percent] of [
      [3, 1],
      [5, 5],
      [7, 10],
      [9, 25],
    ] as const) {
      // A user this step adds to the slice: it reaches the new revision once the step is at the gateway.
      const before = Object.values(onNew).pop();
      const probe = ids.find((id) => inSlice('uuid', percent, id) && !(before?.has(id) ?? false)) ?? ids[0];
      const since = Date.now();
      await operate(h.deps, r.id, 'promote');
      const [took] = await Promise.all([
        propagation(async () => (await sendEach(url, host, [{ 'x-user-id': probe }]))[0].revision, fresh, since),
        pausedAt(h, r.id, pauseIndex),
      ]);
      timings.push(took);
      const once = await sendEach(
        url,
        host,
        ids.map((id) => ({ 'x-user-id': id })),
      );
      const twice = await sendEach(
        url,
        host,
        ids.map((id) => ({ 'x-user-id': id })),
      );
      expect(twice.map((a) => a.revision)).toEqual(once.map((a) => a.revision));
      onNew[percent] = new Set(ids.filter((_, i) => once[i].revision === fresh));
      const share = (onNew[percent].size / ids.length) * 100;
      console.log(`gray ${kind}: users ${percent}% asked, ${share.toFixed(2)}% of 5000 UUIDs on the new revision`);
      expect(Math.abs(share - percent)).toBeLessThanOrEqual(1);
      // Exactly the users the slice says, no other.
      expect([...onNew[percent]].every((id) => inSlice('uuid', percent, id))).toBe(true);
      expect(ids.filter((id) => inSlice('uuid', percent, id)).length).toBe(onNew[percent].size);
    }
    // Monotone: a user on the new revision at 1% is there at 5%, 10% and 25%.
    expect([...onNew[1]].every((id) => onNew[5].has(id))).toBe(true);
    expect([...onNew[5]].every((id) => onNew[10].has(id))).toBe(true);
    expect([...onNew[10]].every((id) => onNew[25].has(id))).toBe(true);

    // A sticky weight: a client the weight once sent to the new revision stays there for the step.
    await operate(h.deps, r.id, 'promote');
    await pausedAt(h, r.id, 11);
    const clients = Array.from({ length: 200 }, () => new Client());
    for (let round = 0; round < 8; round++) {
      const sent = await sendEach(
        url,
        host,
        clients.map((c) => c.headers()),
      );
      sent.forEach((a, i) => clients[i].keep(a.setCookie, a.revision));
    }
    const reached = clients.filter((c) => c.seen.includes(fresh));
    expect(reached.length).toBeGreaterThan(20);
    for (const c of reached)
      expect(c.seen.slice(c.seen.indexOf(fresh))).toEqual(c.seen.slice(c.seen.indexOf(fresh)).map(() => fresh));
    console.log(`gray ${kind}: sticky weight 20: ${reached.length}/200 clients reached the new revision and stayed`);
    console.log(`gray ${kind}: from a step's promote to the gateway routing by it (ms): ${timings.join(', ')}`);

    await operate(h.deps, r.id, 'promoteFull');
    const done = await waitForPhase(h.deps, r.id, ['Succeeded', 'RolledBack', 'Failed']);
    expect(done.phase).toBe('Succeeded');
  }, 300_000);

  it('gives exactly 10% of sequential numeric ids, the same ones on every request', async () => {
    const ns = `grayseq-${kind.toLowerCase()}`;
    const host = await prepareNamespace(h.sb, ns);
    await routeBy(h, kind, ns, host, AFFINITY);
    const base = { namespace: ns, replicas: 2, metrics: [] };
    const first = await waitForPhase(h.deps, (await createRollout(h.deps, firstPlan(kind, base))).id, ['Succeeded']);
    const r = await createRollout(
      h.deps,
      demoPlan({
        ...base,
        version: 'v2',
        strategy: {
          gray: {
            router: routerBlock(kind),
            steps: [{ setSlice: { users: { percent: 10, header: 'x-account', idFormat: 'decimal' } } }, { pause: {} }],
          },
        },
      }),
    );
    const fresh = (await pausedAt(h, r.id, 1)).revisions.new;
    const ids = Array.from({ length: 5000 }, (_, i) => String(i + 1));
    const once = await sendEach(
      h.sb.urls.gateway,
      host,
      ids.map((id) => ({ 'x-account': id })),
    );
    const twice = await sendEach(
      h.sb.urls.gateway,
      host,
      ids.map((id) => ({ 'x-account': id })),
    );
    expect(twice.map((a) => a.revision)).toEqual(once.map((a) => a.revision));
    const onNew = ids.filter((_, i) => once[i].revision === fresh);
    console.log(`gray ${kind}: users 10% asked, ${onNew.length / 50}% of ids 1..5000 on the new revision`);
    expect(Math.abs(onNew.length / 50 - 10)).toBeLessThanOrEqual(1);
    expect(onNew.every((id) => inSlice('decimal', 10, id))).toBe(true);
    expect(once.filter((a) => a.revision === first.revisions.new).length).toBe(5000 - onNew.length);
    await operate(h.deps, r.id, 'abort');
    expect((await waitForPhase(h.deps, r.id, ['RolledBack', 'Failed'])).phase).toBe('RolledBack');
  }, 180_000);
});
