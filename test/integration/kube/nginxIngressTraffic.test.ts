/**
 * The nginxIngress router with real traffic: two demo-app revisions run as pods, the user's Ingress
 * routes the host to the stable Service (with cookie affinity, for the sticky case), the router writes
 * its canary Ingress, and requests through the sandbox gateway — which routes Ingresses as ingress-nginx
 * does — land where the annotations say: the weight within binomial tolerance, every request with the
 * header and no other, a regular-expression header pattern as a full match, cookie "always", and a
 * client the sticky weight once sent to the canary kept there.
 */
import http from 'node:http';
import type { IngressDecision } from '@ramp/sandbox/gateway/ingressTypes';
import { NginxIngressRouter } from '../../../src/kube/routers/nginxIngress/router';
import type { RouterContext } from '../../../src/kube/routers/trafficRouter';
import { isFullyReady, observe } from '../../../src/kube/observe';
import { ensureReplicaSet } from '../../../src/kube/replicaSets';
import { ensureService } from '../../../src/kube/services';
import { revisionOf } from '../../../src/plan/revision';
import type { Traffic, TrafficMatch } from '../../../src/strategies/traffic';
import { LoadGenerator, resource, waitFor } from '@ramp/sandbox';
import { request } from '../../../packages/sandbox/test/helpers/http';
import { demoTemplate, startKubeSandbox, type KubeSandbox } from './harness';

const HOST = 'web.nginx.test';
const N = 'nginx.ingress.kubernetes.io/';
const STICKY = 'ramp-sticky';
const stableTemplate = demoTemplate('web', 'v1');
const canaryTemplate = demoTemplate('web', 'v2');
const STABLE = revisionOf(stableTemplate);
const CANARY = revisionOf(canaryTemplate);

let k: KubeSandbox;
let router: NginxIngressRouter;
let ctx: RouterContext;
let agent: http.Agent;

/** The Ingress decision the gateway's table makes for a plain GET / (undefined before the Ingress is seen). */
function decision(): IngressDecision | undefined {
  const d = k.sb.gateway
    ?.routeTable()
    .decide({ host: HOST, path: '/', method: 'GET', headers: {}, query: new URLSearchParams() });
  return d?.kind === 'ingress' ? d : undefined;
}

/** Sets the split and waits for the gateway to hold the canary annotations the router wrote. */
async function apply(traffic: Traffic): Promise<void> {
  await router.setTraffic(ctx, traffic);
  const written = k.sb.registry.get(resource('ingresses'), ctx.namespace, 'web-canary').metadata.annotations ?? {};
  await waitFor(
    () => {
      const p = decision()?.canary?.policy;
      return (
        p !== undefined &&
        decision()?.canary?.backend.endpoints.length === 1 &&
        String(p.weight) === written[`${N}canary-weight`] &&
        p.headerValue === (written[`${N}canary-by-header-value`] ?? '') &&
        p.headerPattern === (written[`${N}canary-by-header-pattern`] ?? '') &&
        p.cookie === (written[`${N}canary-by-cookie`] ?? '') &&
        (decision()?.canary?.affinity !== undefined) === (written[`${N}affinity-canary-behavior`] === 'sticky')
      );
    },
    'the gateway to apply the canary Ingress',
    10_000,
  );
}

async function revisionsOf(n: number, headers: Record<string, string>): Promise<Record<string, number>> {
  const load = new LoadGenerator({
    url: k.sb.urls.gateway,
    host: HOST,
    ratePerSecond: 500,
    maxRequests: n,
    maxInFlight: n,
    headers,
  });
  load.start();
  const report = await load.finished();
  expect(report).toMatchObject({ sent: n, completed: n, transportErrors: 0 });
  return Object.fromEntries(
    Object.entries(report.byRevision).map(([rev, v]) => [
      rev === CANARY ? 'canary' : rev === STABLE ? 'stable' : rev,
      v.total,
    ]),
  );
}

const header = (type: TrafficMatch['type'], value: string, name = 'x-user'): TrafficMatch => ({
  on: 'header',
  name,
  type,
  value,
});

beforeAll(async () => {
  k = await startKubeSandbox();
  agent = new http.Agent({ keepAlive: true });
  const client = k.client();
  const namespace = k.namespace('nginx');
  const base = { namespace, app: 'web', selector: { app: 'web' }, rolloutId: 'ro-1' };
  await ensureReplicaSet(client, { ...base, revision: STABLE, template: stableTemplate, replicas: 2, role: 'stable' });
  await ensureReplicaSet(client, { ...base, revision: CANARY, template: canaryTemplate, replicas: 1, role: 'canary' });
  for (const [name, revision] of [
    ['web', STABLE],
    ['web-canary', CANARY],
  ])
    await ensureService(client, {
      namespace,
      name,
      selector: { 'ramp.dev/app': 'web', 'ramp.dev/revision': revision },
      port: 80,
      targetPort: 'http',
    });
  k.sb.registry.create(resource('ingresses'), namespace, {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: 'web',
      namespace,
      annotations: { [`${N}affinity`]: 'cookie', [`${N}session-cookie-name`]: STICKY },
    },
    spec: {
      ingressClassName: 'nginx',
      rules: [
        {
          host: HOST,
          http: {
            paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }],
          },
        },
      ],
    },
  });
  ctx = { namespace, app: 'web', services: { stable: 'web', new: 'web-canary' }, port: 80 };
  router = new NginxIngressRouter({ ingress: 'web' }, client);
  const target = { namespace, app: 'web', services: { stable: 'web', canary: 'web-canary' } };
  await waitFor(
    async () => {
      const seen = await observe(client, target);
      return seen.replicaSets.length === 2 && seen.replicaSets.every(isFullyReady);
    },
    'both revisions ready',
    45_000,
    100,
  );
}, 90_000);

afterAll(async () => {
  agent?.destroy();
  await k?.close();
});

describe('nginxIngress router through the sandbox gateway', () => {
  it('sends 30% of 2,000 requests to the canary at weight 30, within binomial tolerance', async () => {
    await apply({ weight: 30, matches: [] });
    const got = await revisionsOf(2000, {});
    process.stderr.write(`[nginxIngress] weight 30: ${got.canary ?? 0} of 2000 requests to the canary\n`);
    expect((got.canary ?? 0) + (got.stable ?? 0)).toBe(2000);
    // Binomial(2000, 0.3): sd ≈ 20.5; four of them either side.
    expect(Math.abs((got.canary ?? 0) - 600)).toBeLessThanOrEqual(82);
    expect(k.sb.gateway?.routeTable().problems).toEqual([]);
  });

  it('sends every request with the header and no other (counted), the weight at 0', async () => {
    await apply({ weight: 0, matches: [header('Exact', '1', 'x-beta')] });
    expect(await revisionsOf(300, { 'x-beta': '1' })).toEqual({ canary: 300 });
    expect(await revisionsOf(300, { 'x-beta': '2' })).toEqual({ stable: 300 });
    expect(await revisionsOf(300, {})).toEqual({ stable: 300 });
  });

  it('a header pattern is a full match of exact, prefix and regular-expression values', async () => {
    await apply({
      weight: 0,
      matches: [header('Exact', 'a.b'), header('Prefix', 'team-'), header('RegularExpression', '[0-1][0-9a-f]{2}')],
    });
    const cases: [string, string][] = [
      ['a.b', 'canary'],
      ['axb', 'stable'],
      ['team-blue', 'canary'],
      ['my-team-blue', 'stable'],
      ['1af', 'canary'],
      ['1afx', 'stable'],
      ['x1af', 'stable'],
      ['2af', 'stable'],
    ];
    for (const [value, want] of cases)
      expect({ value, got: await revisionsOf(40, { 'x-user': value }) }).toEqual({ value, got: { [want]: 40 } });
  });

  it('cookie "always" sends to the canary on top of the weight; another value does not', async () => {
    await apply({ weight: 0, matches: [{ on: 'cookie', name: 'beta', type: 'Exact', value: 'always' }] });
    expect(await revisionsOf(200, { cookie: 'theme=dark; beta=always' })).toEqual({ canary: 200 });
    expect(await revisionsOf(200, { cookie: 'beta=yes' })).toEqual({ stable: 200 });
  });

  it('sticky: a client the weight once sent to the canary stays there, one sent to stable stays there, until reset', async () => {
    // Built apart from the split, so the literal fits StickyCookie whether or not it has a value.
    const sticky = { cookie: STICKY, value: CANARY };
    await apply({ weight: 30, matches: [], sticky });
    const clients: { cookie: string; first: string }[] = [];
    for (let i = 0; i < 100; i++) {
      const first = await request(k.sb.urls.gateway, { host: HOST, agent });
      const setCookie = first.headers['set-cookie'] ?? [];
      expect(setCookie).toEqual([expect.stringMatching(new RegExp(`^${STICKY}=[^;]+; Path=/; HttpOnly$`))]);
      clients.push({ cookie: setCookie[0].split(';')[0], first: String(first.headers['x-sandbox-revision']) });
    }
    const onCanary = clients.filter((c) => c.first === CANARY);
    process.stderr.write(
      `[nginxIngress] sticky weight 30: ${onCanary.length} of 100 clients first reached the canary\n`,
    );
    expect(onCanary.length).toBeGreaterThan(10);
    expect(onCanary.length).toBeLessThan(55);
    for (const c of clients) {
      const later = new Set<string>();
      for (let i = 0; i < 10; i++) {
        const a = await request(k.sb.urls.gateway, { host: HOST, agent, headers: { cookie: `other=1; ${c.cookie}` } });
        expect(a.headers['set-cookie']).toBeUndefined();
        later.add(String(a.headers['x-sandbox-revision']));
      }
      expect({ first: c.first, later: [...later] }).toEqual({ first: c.first, later: [c.first] });
    }
    await router.reset(ctx);
    await waitFor(
      () => decision()?.canary?.policy?.weight === 0 && decision()?.canary?.affinity === undefined,
      'the reset',
      10_000,
    );
    for (const c of onCanary.slice(0, 5))
      expect(
        (await request(k.sb.urls.gateway, { host: HOST, agent, headers: { cookie: c.cookie } })).headers[
          'x-sandbox-revision'
        ],
      ).toBe(STABLE);
  });
});
