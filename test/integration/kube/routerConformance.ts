/**
 * The conformance suite every traffic router passes (STYLE habit 10), against the sandbox API server:
 * weights read back, idempotent writes (no write when already as asked), reset, verify after someone
 * else's edit, matches or a clear refusal, and API faults (a 500, a 409 from a concurrent writer) that
 * the router gets through by itself. A router that never talks to the API must send no request at all.
 */
import { RouterUnsupportedError } from '../../../src/errors';
import type { KubeClient } from '../../../src/kube/client';
import { createRouter } from '../../../src/kube/routers/registry';
import type { RouterContext, TrafficRouter } from '../../../src/kube/routers/trafficRouter';
import { STABLE_ONLY, weighted, type TrafficMatch } from '../../../src/strategies/traffic';
import { waitFor } from '@ramp/sandbox/util/ports';
import { requestsIn, startKubeSandbox, writesIn, type KubeSandbox } from './harness';

/** What a router's conformance run needs from its test file. */
export interface RouterConformanceSetup {
  /** Makes what the router routes in a fresh namespace (Services, a route…) and answers the router's context. */
  prepare(k: KubeSandbox, client: KubeClient, namespace: string): Promise<RouterContext>;
  /** Someone else (a person with kubectl edit) changes the traffic split behind the router's back. */
  editBehindBack(k: KubeSandbox, ctx: RouterContext): void;
  /** Someone else changes something that is not the router's business… */
  unrelatedEdit(k: KubeSandbox, ctx: RouterContext): void;
  /** …which must survive the router's next write. */
  unrelatedEditKept(k: KubeSandbox, ctx: RouterContext): boolean;
  /** true: verify reads the routing back; false: verify answers undefined (cannot tell). */
  verifies: boolean;
  /** true: matches route matching requests; false: they reject with RouterUnsupportedError. */
  matches: boolean;
  /** false: the router must never send an API request. */
  usesApi: boolean;
  /** The router's settings (its block in a plan). */
  config: unknown;
}

const MATCHES: TrafficMatch[] = [
  { on: 'header', name: 'x-beta', type: 'Exact', value: '1' },
  { on: 'cookie', name: 'canary', type: 'Exact', value: 'yes' },
];

/** Registers the conformance tests for `kind`, each in its own namespace of one sandbox. */
export function describeRouterConformance(kind: string, setup: RouterConformanceSetup): void {
  describe(`${kind} router conformance`, () => {
    let k: KubeSandbox;
    let n = 0;

    beforeAll(async () => {
      k = await startKubeSandbox();
    }, 60_000);

    afterAll(async () => {
      await k?.close();
    });

    afterEach(() => k.sb.faults.clear());

    interface Fixture {
      router: TrafficRouter;
      ctx: RouterContext;
      writes: () => number;
      requests: () => number;
      /** verify's expected answer when the routing is as asked: true, or undefined for a router that cannot tell. */
      asAsked: true | undefined;
    }

    async function fixture(): Promise<Fixture> {
      const client = k.client();
      const ns = k.namespace(`conf-${kind.toLowerCase()}-${++n}`);
      const ctx = await setup.prepare(k, client, ns);
      const prepared = { writes: writesIn(k.sb, ns).length, requests: requestsIn(k.sb, ns).length };
      return {
        router: createRouter({ key: kind, config: setup.config }, client),
        ctx,
        writes: () => writesIn(k.sb, ns).length - prepared.writes,
        requests: () => requestsIn(k.sb, ns).length - prepared.requests,
        asAsked: setup.verifies ? true : undefined,
      };
    }

    it('setTraffic then verify, for 0, 25 and 100', async () => {
      const f = await fixture();
      for (const w of [0, 25, 100]) {
        await f.router.setTraffic(f.ctx, weighted(w));
        await expect(f.router.verify(f.ctx, weighted(w))).resolves.toBe(f.asAsked);
        await expect(f.router.verify(f.ctx, weighted(w === 25 ? 26 : 25))).resolves.toBe(
          setup.verifies ? false : undefined,
        );
      }
      if (!setup.usesApi) expect(f.requests()).toBe(0);
    });

    it('makes no write when setTraffic is called again with the same weight', async () => {
      const f = await fixture();
      await f.router.setTraffic(f.ctx, weighted(40));
      const writes = f.writes();
      expect(writes).toBe(setup.usesApi ? 1 : 0);
      await f.router.setTraffic(f.ctx, weighted(40));
      expect(f.writes()).toBe(writes);
      if (!setup.usesApi) expect(f.requests()).toBe(0);
    });

    it('reset sends everything to stable with no matches, and a second reset writes nothing', async () => {
      const f = await fixture();
      await f.router.setTraffic(f.ctx, { weight: 30, matches: setup.matches ? MATCHES : [] });
      await f.router.reset(f.ctx);
      await expect(f.router.verify(f.ctx, weighted(0))).resolves.toBe(f.asAsked);
      const writes = f.writes();
      // Already as reset leaves it: weight 0 and no matches are no-ops.
      await f.router.reset(f.ctx);
      await f.router.setTraffic(f.ctx, STABLE_ONLY);
      expect(f.writes()).toBe(writes);
    });

    it(`verify answers ${setup.verifies ? 'false' : 'undefined'} after someone else edits the routing`, async () => {
      const f = await fixture();
      await f.router.setTraffic(f.ctx, weighted(20));
      await expect(f.router.verify(f.ctx, weighted(20))).resolves.toBe(f.asAsked);
      setup.editBehindBack(k, f.ctx);
      await expect(f.router.verify(f.ctx, weighted(20))).resolves.toBe(setup.verifies ? false : undefined);
      // …and setTraffic puts it back.
      await f.router.setTraffic(f.ctx, weighted(20));
      await expect(f.router.verify(f.ctx, weighted(20))).resolves.toBe(f.asAsked);
    });

    if (setup.matches) {
      it('matches route with the weight kept, verify reads them back, and setting them again writes nothing', async () => {
        const f = await fixture();
        await f.router.setTraffic(f.ctx, weighted(10));
        await f.router.setTraffic(f.ctx, { weight: 10, matches: MATCHES });
        const writes = f.writes();
        await f.router.setTraffic(f.ctx, { weight: 10, matches: MATCHES });
        expect(f.writes()).toBe(writes);
        await expect(f.router.verify(f.ctx, { weight: 10, matches: MATCHES })).resolves.toBe(f.asAsked);
        await expect(f.router.verify(f.ctx, weighted(10))).resolves.toBe(setup.verifies ? false : undefined);
      });
    } else {
      it('matches reject with RouterUnsupportedError (and no matches are accepted)', async () => {
        const f = await fixture();
        await expect(f.router.setTraffic(f.ctx, { weight: 0, matches: MATCHES })).rejects.toBeInstanceOf(
          RouterUnsupportedError,
        );
        await expect(f.router.setTraffic(f.ctx, STABLE_ONLY)).resolves.toBeUndefined();
      });
    }

    it('gets through a 500 from the API server on its write', async () => {
      const f = await fixture();
      k.sb.faults.add({
        match: { namespace: f.ctx.namespace, verbs: ['create', 'update', 'patch'] },
        action: { type: 'status', code: 500 },
        times: 1,
      });
      await f.router.setTraffic(f.ctx, weighted(35));
      await expect(f.router.verify(f.ctx, weighted(35))).resolves.toBe(f.asAsked);
      if (setup.usesApi) {
        expect(k.sb.faults.list()).toHaveLength(0);
        expect(requestsIn(k.sb, f.ctx.namespace).filter((r) => r.status === 500)).toHaveLength(1);
      } else {
        expect(f.requests()).toBe(0);
      }
    });

    it('resolves a 409 (someone else wrote between its read and its write) by reading again', async () => {
      const f = await fixture();
      if (!setup.usesApi) {
        await f.router.setTraffic(f.ctx, weighted(45));
        expect(f.requests()).toBe(0);
        return;
      }
      k.sb.faults.add({
        match: { namespace: f.ctx.namespace, verbs: ['create', 'update', 'patch'] },
        action: { type: 'delay', ms: 400 },
        times: 1,
      });
      const setting = f.router.setTraffic(f.ctx, weighted(45));
      // The rule retires when it takes our write: the write is now held, carrying what we read.
      await waitFor(() => k.sb.faults.list().length === 0, 'the router’s write to be held', 5000, 5);
      setup.unrelatedEdit(k, f.ctx);
      await setting;
      expect(requestsIn(k.sb, f.ctx.namespace).filter((r) => r.status === 409)).toHaveLength(1);
      await expect(f.router.verify(f.ctx, weighted(45))).resolves.toBe(true);
      expect(setup.unrelatedEditKept(k, f.ctx)).toBe(true);
    });
  });
}
