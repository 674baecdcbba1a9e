/**
 * The gateway routes Ingresses as ingress-nginx would, with real requests: a main Ingress and a canary
 * Ingress beside it (watched, so edits apply at once), the canary's weight drawn at random, its header
 * and cookie, and session affinity keeping a client on the upstream that first served it.
 */
import http from 'node:http';
import { resource } from '../../../src/apiServer/resources';
import { RegistryCluster } from '../../../src/cluster/registryCluster';
import { Gateway } from '../../../src/gateway/gateway';
import { waitFor } from '../../../src/util/ports';
import { createRng } from '../../../src/util/random';
import { canaryAnnotations, ingress } from '../../unit/gateway/objects';
import { type Answer, Cluster, request } from './harness';

const HOST = 'shop.example.com';
const ingresses = resource('ingresses');

let cluster: Cluster;
let gateway: Gateway;
let url: string;
let agent: http.Agent;

beforeEach(async () => {
  cluster = new Cluster('shop');
  gateway = new Gateway({ cluster: new RegistryCluster(cluster.registry), random: createRng(7) });
  url = await gateway.listen();
  agent = new http.Agent({ keepAlive: true });
  await cluster.deploy('web', [
    { pod: 'web-v1-a', revision: 'v1' },
    { pod: 'web-v1-b', revision: 'v1' },
  ]);
  await cluster.deploy('web-canary', [{ pod: 'web-v2-a', revision: 'v2' }]);
});

afterEach(async () => {
  agent.destroy();
  await gateway.close();
  await cluster.close();
});

function get(headers: Record<string, string> = {}): Promise<Answer> {
  return request(url, { host: HOST, headers, agent });
}

async function revisions(n: number, headers: Record<string, string> = {}): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const a = await get(headers);
    const k = `${a.status} ${String(a.headers['x-sandbox-revision'])}`;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

function mainIngress(annotations?: Record<string, string>): void {
  cluster.registry.create(
    ingresses,
    'shop',
    ingress('shop', 'web', [{ host: HOST, paths: [{ service: 'web' }] }], { annotations }),
  );
}

function canaryIngress(annotations: Record<string, string>): void {
  const body = ingress('shop', 'web-canary', [{ host: HOST, paths: [{ service: 'web-canary' }] }], {
    annotations: canaryAnnotations(annotations),
  });
  if (cluster.registry.tryGet(ingresses, 'shop', 'web-canary'))
    cluster.registry.update(ingresses, 'shop', 'web-canary', body);
  else cluster.registry.create(ingresses, 'shop', body);
}

async function canaryApplied(weight: string): Promise<void> {
  await waitFor(
    () => {
      const d = gateway
        .routeTable()
        .decide({ host: HOST, path: '/', method: 'GET', headers: {}, query: new URLSearchParams() });
      return d.kind === 'ingress' && String(d.canary?.policy?.weight) === weight;
    },
    `the canary at weight ${weight}`,
    2000,
    5,
  );
}

describe('Gateway: Ingresses with ingress-nginx canary annotations', () => {
  it('routes the main Ingress, then sends the canary its weight (random draws) and every request with its header', async () => {
    mainIngress();
    await waitFor(
      () =>
        gateway.routeTable().decide({ host: HOST, path: '/', method: 'GET', headers: {}, query: new URLSearchParams() })
          .kind === 'ingress',
      'the Ingress',
      2000,
      5,
    );
    expect(await revisions(20)).toEqual({ '200 v1': 20 });
    canaryIngress({ 'canary-weight': '30', 'canary-by-header': 'x-canary', 'canary-by-header-value': 'yes' });
    await canaryApplied('30');
    const split = await revisions(600);
    const canary = split['200 v2'] ?? 0;
    // Binomial(600, 0.3): sd ≈ 11.2; four of them either side.
    expect(Math.abs(canary - 180)).toBeLessThanOrEqual(45);
    expect(canary + (split['200 v1'] ?? 0)).toBe(600);
    expect(await revisions(50, { 'x-canary': 'yes' })).toEqual({ '200 v2': 50 });
    canaryIngress({ 'canary-weight': '0', 'canary-by-cookie': 'beta' });
    await canaryApplied('0');
    expect(await revisions(30, { cookie: 'beta=always' })).toEqual({ '200 v2': 30 });
    expect(await revisions(30, { cookie: 'beta=yes', 'x-canary': 'yes' })).toEqual({ '200 v1': 30 });
    expect(gateway.stats().byService).toMatchObject({
      'shop/web-canary': expect.any(Number),
      'shop/web': expect.any(Number),
    });
  });

  it('keeps a client on the upstream that first served it through the main Ingress’s affinity cookie', async () => {
    mainIngress({
      'nginx.ingress.kubernetes.io/affinity': 'cookie',
      'nginx.ingress.kubernetes.io/session-cookie-name': 'ramp-canary',
    });
    canaryIngress({ 'canary-weight': '50' });
    await canaryApplied('50');
    const seen: Record<string, string[]> = { v1: [], v2: [] };
    for (let client = 0; client < 12; client++) {
      const first = await get();
      const rev = String(first.headers['x-sandbox-revision']);
      const setCookie = first.headers['set-cookie'] ?? [];
      expect(setCookie).toEqual([expect.stringMatching(/^ramp-canary=[^;]+\|[0-9a-f]{32}; Path=\/; HttpOnly$/)]);
      const cookie = setCookie[0].split(';')[0];
      const later = await revisions(10, { cookie });
      expect({ client, later }).toEqual({ client, later: { [`200 ${rev}`]: 10 } });
      seen[rev].push(cookie);
    }
    // Weight 50 over 12 clients: both revisions had some (seed 7).
    expect(seen.v1.length).toBeGreaterThan(0);
    expect(seen.v2.length).toBeGreaterThan(0);
    // The canary's cookie holds even at weight 0, and with affinity-canary-behavior: legacy it no longer does.
    canaryIngress({ 'canary-weight': '0' });
    await canaryApplied('0');
    expect(await revisions(10, { cookie: seen.v2[0] })).toEqual({ '200 v2': 10 });
    canaryIngress({ 'canary-weight': '1', 'affinity-canary-behavior': 'legacy' });
    await canaryApplied('1');
    const legacy = await revisions(20, { cookie: seen.v2[0] });
    expect(legacy['200 v1']).toBeGreaterThanOrEqual(15);
  });
});
