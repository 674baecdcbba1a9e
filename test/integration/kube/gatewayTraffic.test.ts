/**
 * The gatewayApi router with real traffic: two demo-app revisions run as pods (ReplicaSets and Services
 * made by src/kube), the router writes the HTTPRoute, and requests through the sandbox gateway land where
 * it said — 10% ± 3 points at weight 10, none at weight 0, and exactly the header/cookie matches.
 */
import http from 'node:http';
import { GatewayApiRouter } from '../../../src/kube/routers/gatewayApi/router';
import { weighted } from '../../../src/strategies/traffic';
import type { RouterContext } from '../../../src/kube/routers/trafficRouter';
import { isFullyReady, observe } from '../../../src/kube/observe';
import { ensureReplicaSet } from '../../../src/kube/replicaSets';
import { ensureService } from '../../../src/kube/services';
import { revisionOf } from '../../../src/plan/revision';
import { LoadGenerator, resource, waitFor } from '@ramp/sandbox';
import { request } from '../../../packages/sandbox/test/helpers/http';
import { demoTemplate, startKubeSandbox, type KubeSandbox } from './harness';

const HOST = 'web.traffic.test';
const stableTemplate = demoTemplate('web', 'v1');
const canaryTemplate = demoTemplate('web', 'v2');
const STABLE = revisionOf(stableTemplate);
const CANARY = revisionOf(canaryTemplate);

let k: KubeSandbox;
let router: GatewayApiRouter;
let ctx: RouterContext;
let agent: http.Agent;

/** What the gateway's table says a plain GET / would be split into: [service, weight, ready endpoints]. */
function gatewaySplit(headers: Record<string, string> = {}): [string, number, number][] {
  const decision = k.sb.gateway
    ?.routeTable()
    .decide({ host: HOST, path: '/', method: 'GET', headers, query: new URLSearchParams() });
  if (decision?.kind !== 'rule') return [];
  return decision.backends.map((b) =>
    b.target.kind === 'service'
      ? [b.target.backend.name, b.weight, b.target.backend.endpoints.length]
      : ['invalid', b.weight, 0],
  );
}

async function revisionOfAnswer(headers: Record<string, string> = {}, path = '/'): Promise<string> {
  const res = await request(k.sb.urls.gateway, { host: HOST, path, headers, agent });
  expect(res.status).toBe(200);
  return String(res.headers['x-sandbox-revision']);
}

beforeAll(async () => {
  k = await startKubeSandbox();
  agent = new http.Agent({ keepAlive: true });
  const client = k.client();
  const namespace = k.namespace('traffic');
  const base = { namespace, app: 'web', selector: { app: 'web' }, rolloutId: 'ro-1' };
  await ensureReplicaSet(client, { ...base, revision: STABLE, template: stableTemplate, replicas: 2, role: 'stable' });
  await ensureReplicaSet(client, { ...base, revision: CANARY, template: canaryTemplate, replicas: 1, role: 'canary' });
  await ensureService(client, {
    namespace,
    name: 'web',
    selector: { 'ramp.dev/app': 'web', 'ramp.dev/revision': STABLE },
    port: 80,
    targetPort: 'http',
  });
  await ensureService(client, {
    namespace,
    name: 'web-canary',
    selector: { 'ramp.dev/app': 'web', 'ramp.dev/revision': CANARY },
    port: 80,
    targetPort: 'http',
  });
  k.sb.registry.create(resource('httproutes'), namespace, {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'web', namespace },
    spec: {
      parentRefs: [{ name: 'sandbox' }],
      hostnames: [HOST],
      rules: [{ backendRefs: [{ name: 'web', port: 80 }] }],
    },
  });
  ctx = { namespace, app: 'web', services: { stable: 'web', new: 'web-canary' }, port: 80 };
  router = new GatewayApiRouter({ httpRoute: 'web' }, client);
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

describe('gatewayApi router through the sandbox gateway', () => {
  it('sends 10% ± 3 points of 1,000 requests to the canary at weight 10', async () => {
    await router.setTraffic(ctx, weighted(10));
    await waitFor(
      () =>
        JSON.stringify(gatewaySplit()) ===
        JSON.stringify([
          ['web', 90, 2],
          ['web-canary', 10, 1],
        ]),
      'the gateway to apply weight 10 with every pod ready',
      10_000,
    );
    const load = new LoadGenerator({
      url: k.sb.urls.gateway,
      host: HOST,
      ratePerSecond: 500,
      maxRequests: 1000,
      maxInFlight: 1000,
    });
    load.start();
    const report = await load.finished();
    expect(report).toMatchObject({ sent: 1000, completed: 1000, transportErrors: 0, skipped: 0 });
    const canary = report.byRevision[CANARY]?.total ?? 0;
    const stable = report.byRevision[STABLE]?.total ?? 0;
    expect(canary + stable).toBe(1000);
    expect(Math.abs(canary / 10 - 10)).toBeLessThanOrEqual(3);
    expect(report.byRevision[CANARY]?.byCode).toEqual({ '200': canary });
  });

  it('sends none at weight 0', async () => {
    await router.setTraffic(ctx, weighted(0));
    await waitFor(
      () =>
        JSON.stringify(gatewaySplit()) ===
        JSON.stringify([
          ['web', 100, 2],
          ['web-canary', 0, 1],
        ]),
      'the gateway to apply weight 0',
      10_000,
    );
    const load = new LoadGenerator({
      url: k.sb.urls.gateway,
      host: HOST,
      ratePerSecond: 500,
      maxRequests: 500,
      maxInFlight: 500,
    });
    load.start();
    const report = await load.finished();
    expect(report.completed).toBe(500);
    expect(report.byRevision[STABLE]?.total).toBe(500);
    expect(report.byRevision[CANARY]).toBeUndefined();
  });

  it('sends exactly the requests matching a header or a cookie to the canary', async () => {
    await router.setTraffic(ctx, {
      weight: 0,
      matches: [
        { on: 'header', name: 'x-beta', type: 'Exact', value: '1' },
        { on: 'cookie', name: 'canary', type: 'Exact', value: 'yes' },
      ],
    });
    await waitFor(
      () => JSON.stringify(gatewaySplit({ 'x-beta': '1' })) === JSON.stringify([['web-canary', 1, 1]]),
      'the gateway to apply the match rule',
      10_000,
    );
    const cases: [string, Record<string, string>, string, string][] = [
      ['no header', {}, '/', STABLE],
      ['x-beta: 1', { 'x-beta': '1' }, '/', CANARY],
      ['x-beta: 1 on another path', { 'x-beta': '1' }, '/checkout/pay', CANARY],
      ['x-beta: 2', { 'x-beta': '2' }, '/', STABLE],
      ['cookie canary=yes among others', { cookie: 'a=1; canary=yes; b=2' }, '/', CANARY],
      ['cookie canary=yes alone', { cookie: 'canary=yes' }, '/', CANARY],
      ['cookie canary=no', { cookie: 'canary=no' }, '/', STABLE],
      ['cookie xcanary=yes', { cookie: 'xcanary=yes' }, '/', STABLE],
      ['cookie canary=yesplease', { cookie: 'canary=yesplease' }, '/', STABLE],
    ];
    for (const [what, headers, path, expected] of cases) {
      const got = new Set<string>();
      for (let i = 0; i < 20; i++) got.add(await revisionOfAnswer(headers, path));
      expect({ what, revisions: [...got] }).toEqual({ what, revisions: [expected] });
    }

    await router.reset(ctx);
    await waitFor(
      () =>
        JSON.stringify(gatewaySplit({ 'x-beta': '1' })) ===
        JSON.stringify([
          ['web', 100, 2],
          ['web-canary', 0, 1],
        ]),
      'the gateway to drop the match rule',
      10_000,
    );
    for (let i = 0; i < 20; i++) expect(await revisionOfAnswer({ 'x-beta': '1', cookie: 'canary=yes' })).toBe(STABLE);
  });
});
