/**
 * The conformance suite every traffic router passes (STYLE habit 10), against the sandbox API server:
 * weights read back, idempotent writes (no write when already as asked), reset, verify after someone
 * else's edit, matches or a clear refusal, and API faults (a 500, a 409 from a concurrent writer) that
 * the router gets through by itself. A router that never talks to the API must send no request at all.
 *
 * Which matches are tried follows the router's declared capabilities, so routers that can do different
 * things run the same suite: what a capability says the router can do must work (Prefix and
 * RegularExpression matches with `regexMatch`, a sticky cookie with `sticky`), and what it says the
 * router cannot do must be refused with RouterUnsupportedError before anything is written.
 */
import { RouterUnsupportedError } from '../../../src/errors';
import type { KubeClient } from '../../../src/kube/client';
import { createRouter, routerCapabilities } from '../../../src/kube/routers/registry';
import type { RouterCapabilities, RouterContext, TrafficRouter } from '../../../src/kube/routers/trafficRouter';
import { STABLE_ONLY, type Traffic, weighted, type TrafficMatch } from '../../../src/strategies/traffic';
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
  /** With capability `sticky`: the cookie name the prepared routing can keep clients with. Default ramp-sticky. */
  stickyCookie?: string;
}

const header = (type: TrafficMatch['type'], value: string, name = 'x-beta'): TrafficMatch => ({
  on: 'header',
  name,
  type,
  value,
});

/** An exact header match and a cookie match, the cookie's value one the router can match. */
function basicMatches(caps: RouterCapabilities): TrafficMatch[] {
  const cookie: TrafficMatch = {
    on: 'cookie',
    name: 'canary',
    type: 'Exact',
    value: caps.cookieValueMatch ? 'yes' : 'always',
  };
  return [...(caps.headerMatch ? [header('Exact', '1')] : []), ...(caps.cookieMatch ? [cookie] : [])];
}

/** Prefix and RegularExpression matches on the one header name every router that matches headers can use. */
function patternMatches(caps: RouterCapabilities): TrafficMatch[] {
  const query: TrafficMatch = { on: 'query', name: 'beta', type: 'RegularExpression', value: '[0-9]+' };
  return [
    header('Exact', '1'),
    header('Prefix', 'team-'),
    header('RegularExpression', '[0-1][0-9a-f]{2}.*'),
    ...(caps.queryMatch ? [query] : []),
  ];
}

/** Splits the router declares it cannot express, each with what it lacks. */
function inexpressible(caps: RouterCapabilities): [string, TrafficMatch[]][] {
  const out: [string, TrafficMatch[]][] = [];
  if (!caps.headerMatch) out.push(['a header match (headerMatch false)', [header('Exact', '1')]]);
  if (caps.headerMatch && caps.maxHeaderNames !== undefined)
    out.push([
      `matches on ${caps.maxHeaderNames + 1} header names (maxHeaderNames ${caps.maxHeaderNames})`,
      Array.from({ length: caps.maxHeaderNames + 1 }, (_, i) => header('Exact', '1', `x-beta-${i}`)),
    ]);
  if (caps.headerMatch && !caps.regexMatch)
    out.push(['a RegularExpression match (regexMatch false)', [header('RegularExpression', '[0-9]+')]]);
  if (!caps.cookieMatch)
    out.push([
      'a cookie match (cookieMatch false)',
      [{ on: 'cookie', name: 'canary', type: 'Exact', value: 'always' }],
    ]);
  if (caps.cookieMatch && !caps.cookieValueMatch)
    out.push([
      'a cookie value other than always (cookieValueMatch false)',
      [{ on: 'cookie', name: 'canary', type: 'Exact', value: 'yes' }],
    ]);
  if (!caps.queryMatch)
    out.push(['a query match (queryMatch false)', [{ on: 'query', name: 'beta', type: 'Exact', value: '1' }]]);
  return out;
}

/** Registers the conformance tests for `kind`, each in its own namespace of one sandbox. */
export function describeRouterConformance(kind: string, setup: RouterConformanceSetup): void {
  const caps = routerCapabilities({ key: kind, config: setup.config });
  const MATCHES = basicMatches(caps);
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

    if (setup.matches && caps.regexMatch) {
      it('Prefix and RegularExpression matches: verify reads them back, a different pattern is not them, and setting them again writes nothing', async () => {
        const f = await fixture();
        const traffic: Traffic = { weight: 10, matches: patternMatches(caps) };
        await f.router.setTraffic(f.ctx, traffic);
        const writes = f.writes();
        await f.router.setTraffic(f.ctx, traffic);
        expect(f.writes()).toBe(writes);
        await expect(f.router.verify(f.ctx, traffic)).resolves.toBe(f.asAsked);
        const other = { ...traffic, matches: [...traffic.matches.slice(0, 2), header('RegularExpression', '[2-9].*')] };
        await expect(f.router.verify(f.ctx, other)).resolves.toBe(setup.verifies ? false : undefined);
      });
    }

    for (const [what, matches] of inexpressible(caps)) {
      it(`refuses ${what} with RouterUnsupportedError, writing nothing`, async () => {
        const f = await fixture();
        await expect(f.router.setTraffic(f.ctx, { weight: 10, matches })).rejects.toBeInstanceOf(
          RouterUnsupportedError,
        );
        expect(f.writes()).toBe(0);
      });
    }

    if (caps.sticky) {
      it('a sticky weight: verify reads the cookie back, the same split without it is not it, and setting it again writes nothing', async () => {
        const f = await fixture();
        // Built apart from the split, so the literal fits StickyCookie whether or not it has a value.
        const sticky = { cookie: setup.stickyCookie ?? 'ramp-sticky', value: 'r2' };
        const traffic: Traffic = { weight: 20, matches: [], sticky };
        await f.router.setTraffic(f.ctx, traffic);
        await expect(f.router.verify(f.ctx, traffic)).resolves.toBe(f.asAsked);
        await expect(f.router.verify(f.ctx, weighted(20))).resolves.toBe(setup.verifies ? false : undefined);
        const writes = f.writes();
        await f.router.setTraffic(f.ctx, traffic);
        expect(f.writes()).toBe(writes);
        await f.router.reset(f.ctx);
        await expect(f.router.verify(f.ctx, STABLE_ONLY)).resolves.toBe(f.asAsked);
      });
    }

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
        const matches = [
          header('Exact', '1'),
          { on: 'cookie', name: 'canary', type: 'Exact', value: 'always' } as const,
        ];
        await expect(f.router.setTraffic(f.ctx, { weight: 0, matches })).rejects.toBeInstanceOf(RouterUnsupportedError);
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
      // What the router writes exists first (a router that creates its object could not meet a conflict).
      await f.router.setTraffic(f.ctx, weighted(5));
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
