/**
 * The nginxIngress router passes the router conformance suite, never writes the user's Ingress, keeps
 * its canary Ingress's paths in step with the user's stable paths, keeps what others add to it, and
 * names what keeps it from working (a missing Ingress, no stable path, someone else's `<ingress>-canary`,
 * no session affinity for a sticky split) with a typed error or a pre-flight problem.
 */
import { CanaryIngressConflictError, IngressHasNoServicePathError, IngressNotFoundError } from '../../../src/errors';
import { RouterUnsupportedError } from '../../../src/errors';
import type { KubeClient } from '../../../src/kube/client';
import { NginxIngressRouter } from '../../../src/kube/routers/nginxIngress/router';
import type { RouterContext } from '../../../src/kube/routers/trafficRouter';
import { ensureService } from '../../../src/kube/services';
import { weighted } from '../../../src/strategies/traffic';
import { resource } from '@ramp/sandbox';
import { describeRouterConformance } from './routerConformance';
import { startKubeSandbox, writesIn, type KubeSandbox } from './harness';

const INGRESSES = resource('ingresses');
const N = 'nginx.ingress.kubernetes.io/';
const STICKY = 'ramp-sticky';

interface Ing {
  metadata: { resourceVersion?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    ingressClassName?: string;
    rules?: { host?: string; http?: { paths: { path?: string; backend: unknown }[] } }[];
  };
}

const backend = (name: string): unknown => ({ service: { name, port: { number: 80 } } });

/** The user's Ingress: web.example.com, "/" to the stable Service and "/static" to someone else's, with cookie affinity. */
function userIngress(namespace: string, extraPaths: { path: string; service: string }[] = []): Record<string, unknown> {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: 'web',
      namespace,
      labels: { team: 'shop' },
      annotations: { [`${N}affinity`]: 'cookie', [`${N}session-cookie-name`]: STICKY },
    },
    spec: {
      ingressClassName: 'nginx',
      rules: [
        {
          host: 'web.example.com',
          http: {
            paths: [
              { path: '/', pathType: 'Prefix', backend: backend('web') },
              { path: '/static', pathType: 'Prefix', backend: backend('cdn') },
              ...extraPaths.map((p) => ({ path: p.path, pathType: 'Prefix', backend: backend(p.service) })),
            ],
          },
        },
      ],
    },
  };
}

async function prepare(k: KubeSandbox, client: KubeClient, namespace: string): Promise<RouterContext> {
  for (const [name, revision] of [
    ['web', 'r1'],
    ['web-canary', 'r2'],
  ])
    await ensureService(client, {
      namespace,
      name,
      selector: { 'ramp.dev/app': 'web', 'ramp.dev/revision': revision },
      port: 80,
      targetPort: 'http',
    });
  k.sb.registry.create(INGRESSES, namespace, userIngress(namespace));
  return { namespace, app: 'web', services: { stable: 'web', new: 'web-canary' }, port: 80 };
}

const ingressOf = (k: KubeSandbox, ns: string, name: string): Ing =>
  k.sb.registry.get(INGRESSES, ns, name) as unknown as Ing;

describeRouterConformance('nginxIngress', {
  prepare,
  editBehindBack(k, ctx) {
    k.sb.registry.patch(INGRESSES, ctx.namespace, 'web-canary', 'merge', {
      metadata: { annotations: { [`${N}canary-weight`]: '50' } },
    });
  },
  unrelatedEdit(k, ctx) {
    k.sb.registry.patch(INGRESSES, ctx.namespace, 'web-canary', 'merge', { metadata: { labels: { team: 'shop' } } });
  },
  unrelatedEditKept(k, ctx) {
    return ingressOf(k, ctx.namespace, 'web-canary').metadata.labels?.team === 'shop';
  },
  verifies: true,
  matches: true,
  usesApi: true,
  config: { ingress: 'web' },
  stickyCookie: STICKY,
});

describe('nginxIngress router beside the user’s Ingress', () => {
  let k: KubeSandbox;
  let n = 0;

  beforeAll(async () => {
    k = await startKubeSandbox();
  }, 60_000);

  afterAll(async () => {
    await k?.close();
  });

  const ctxIn = (namespace: string): RouterContext => ({
    namespace,
    app: 'web',
    services: { stable: 'web', new: 'web-canary' },
    port: 80,
  });

  it('writes only its canary Ingress, with the stable paths to the canary Service, and keeps it in step', async () => {
    const client = k.client();
    const ctx = await prepare(k, client, k.namespace(`beside-${++n}`));
    const before = ingressOf(k, ctx.namespace, 'web');
    const router = new NginxIngressRouter({ ingress: 'web' }, client);
    await router.setTraffic(ctx, {
      weight: 10,
      matches: [{ on: 'header', name: 'X-Beta', type: 'Exact', value: '1' }],
    });
    expect(ingressOf(k, ctx.namespace, 'web')).toEqual(before);
    expect(
      writesIn(k.sb, ctx.namespace, 'ingresses').map((w) => `${w.method} ${w.url.split('?')[0].split('/').pop()}`),
    ).toEqual(['POST ingresses']);
    const canary = ingressOf(k, ctx.namespace, 'web-canary');
    expect(canary.metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'ramp', 'ramp.dev/app': 'web' });
    expect(canary.metadata.annotations).toEqual({
      [`${N}canary`]: 'true',
      [`${N}canary-weight`]: '10',
      [`${N}canary-by-header`]: 'x-beta',
      [`${N}canary-by-header-value`]: '1',
      [`${N}affinity-canary-behavior`]: 'legacy',
    });
    expect(canary.spec).toEqual({
      ingressClassName: 'nginx',
      rules: [
        {
          host: 'web.example.com',
          http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend('web-canary') }] },
        },
      ],
    });

    // The user adds a stable path: the canary Ingress no longer says the split until it is written again.
    k.sb.registry.update(
      INGRESSES,
      ctx.namespace,
      'web',
      userIngress(ctx.namespace, [{ path: '/cart', service: 'web' }]),
    );
    const traffic = { weight: 10, matches: [{ on: 'header', name: 'x-beta', type: 'Exact', value: '1' }] } as const;
    await expect(router.verify(ctx, traffic)).resolves.toBe(false);
    await router.setTraffic(ctx, traffic);
    await expect(router.verify(ctx, traffic)).resolves.toBe(true);
    expect(ingressOf(k, ctx.namespace, 'web-canary').spec.rules?.[0].http?.paths.map((p) => p.path)).toEqual([
      '/',
      '/cart',
    ]);

    // Reset keeps it, at weight 0 with no matches and no stickiness; the user's Ingress is never written.
    await router.reset(ctx);
    expect(ingressOf(k, ctx.namespace, 'web-canary').metadata.annotations).toEqual({
      [`${N}canary`]: 'true',
      [`${N}canary-weight`]: '0',
      [`${N}affinity-canary-behavior`]: 'legacy',
    });
    expect(
      writesIn(k.sb, ctx.namespace, 'ingresses').every((w) => !w.url.split('?')[0].endsWith('/ingresses/web')),
    ).toBe(true);
  });

  it('pre-flight names a missing Ingress, one without a stable path, a canary Ingress as the main one, and someone else’s <ingress>-canary', async () => {
    const client = k.client();
    const router = new NginxIngressRouter({ ingress: 'web' }, client);
    const missing = ctxIn(k.namespace(`check-${++n}`));
    expect(await router.check(missing)).toEqual([
      { path: 'ingress', message: expect.stringMatching(/^Ingress check-[\d-]+\/web not found/) },
    ]);

    const ctx = await prepare(k, client, k.namespace(`check-${++n}`));
    expect(await router.check(ctx)).toEqual([]);
    k.sb.registry.create(INGRESSES, ctx.namespace, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'web-canary', namespace: ctx.namespace },
      spec: {
        rules: [
          {
            host: 'other.example.com',
            http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend('other') }] },
          },
        ],
      },
    });
    expect(await router.check(ctx)).toEqual([
      {
        path: 'ingress',
        message: expect.stringContaining(
          `Ingress ${ctx.namespace}/web-canary exists and is not Ramp's canary Ingress for app web`,
        ),
      },
    ]);
    const writes = writesIn(k.sb, ctx.namespace).length;
    await expect(router.setTraffic(ctx, weighted(5))).rejects.toBeInstanceOf(CanaryIngressConflictError);
    await expect(router.reset(ctx)).rejects.toBeInstanceOf(CanaryIngressConflictError);
    await expect(router.verify(ctx, weighted(0))).resolves.toBe(false);
    expect(writesIn(k.sb, ctx.namespace)).toHaveLength(writes);

    const other = await prepare(k, client, k.namespace(`check-${++n}`));
    k.sb.registry.update(INGRESSES, other.namespace, 'web', {
      ...userIngress(other.namespace),
      spec: {
        rules: [
          { host: 'web.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend('cdn') }] } },
        ],
      },
    });
    expect(await router.check(other)).toEqual([
      {
        path: 'ingress',
        message: expect.stringContaining('has no path (or defaultBackend) whose backend is the Service web'),
      },
    ]);
    await expect(router.setTraffic(other, weighted(5))).rejects.toBeInstanceOf(IngressHasNoServicePathError);
    k.sb.registry.patch(INGRESSES, other.namespace, 'web', 'merge', {
      metadata: { annotations: { [`${N}canary`]: 'true' } },
    });
    expect(await router.check(other)).toEqual([
      { path: 'ingress', message: expect.stringContaining('is itself a canary Ingress') },
    ]);
  });

  it('names a missing Ingress with IngressNotFoundError before writing, and refuses a sticky split the Ingress’s affinity cannot keep', async () => {
    const client = k.client();
    const router = new NginxIngressRouter({ ingress: 'web' }, client);
    const missing = ctxIn(k.namespace(`missing-${++n}`));
    const err = await router.setTraffic(missing, weighted(5)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IngressNotFoundError);
    expect(err).toMatchObject({ code: 'INGRESS_NOT_FOUND', namespace: missing.namespace, ingress: 'web' });
    await expect(router.verify(missing, weighted(5))).rejects.toBeInstanceOf(IngressNotFoundError);
    // Nothing to reset: no canary Ingress, so all traffic is on stable already.
    await expect(router.reset(missing)).resolves.toBeUndefined();
    await expect(router.verify(missing, weighted(0))).resolves.toBe(true);
    expect(writesIn(k.sb, missing.namespace)).toHaveLength(0);

    const ctx = await prepare(k, client, k.namespace(`sticky-${++n}`));
    const writes = writesIn(k.sb, ctx.namespace).length;
    const sticky = { cookie: 'other-cookie', value: 'r2' };
    const refused = await router.setTraffic(ctx, { weight: 20, matches: [], sticky }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RouterUnsupportedError);
    expect((refused as Error).message).toContain(
      `the session affinity cookie of Ingress ${ctx.namespace}/web is ${STICKY}`,
    );
    expect(writesIn(k.sb, ctx.namespace)).toHaveLength(writes);
  });
});
