import { RouterUnsupportedError, UnknownImplementationError } from '../../../src/errors';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '../../../src/kube/client';
import { createRouter, routerCapabilities, routers, routerSpecSchema } from '../../../src/kube/routers/registry';
import { weighted } from '../../../src/strategies/traffic';

function offlineClient(): KubeClient {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:9', skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return new KubeClient(kc);
}

const CONFIGS: Record<string, unknown> = {
  replicaRatio: {},
  gatewayApi: { httpRoute: 'web' },
  nginxIngress: { ingress: 'web' },
};

describe('the router registry', () => {
  it('builds each known router, of its kind, with the capabilities it declares', () => {
    const client = offlineClient();
    expect(routers.keys()).toEqual(['replicaRatio', 'gatewayApi', 'nginxIngress']);
    for (const key of routers.keys()) {
      const router = createRouter({ key, config: CONFIGS[key] }, client);
      expect(router.kind).toBe(key);
      expect(router.capabilities).toEqual(routerCapabilities({ key, config: CONFIGS[key] }));
    }
    expect(routerCapabilities({ key: 'replicaRatio', config: {} }).weights).toBe('pods');
    expect(routerCapabilities({ key: 'gatewayApi', config: CONFIGS.gatewayApi }).weights).toBe('route');
  });

  it('refuses an unknown kind with UnknownImplementationError naming the known ones', () => {
    const err = (() => {
      try {
        createRouter({ key: 'istio', config: {} }, offlineClient());
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(UnknownImplementationError);
    expect((err as UnknownImplementationError).message).toBe(
      'unknown traffic router "istio"; expected one of: replicaRatio, gatewayApi, nginxIngress',
    );
    expect(() => createRouter({ key: 'toString', config: {} }, offlineClient())).toThrow(UnknownImplementationError);
  });

  it('validates a plan’s router block: exactly one known router, its settings by its own schema', () => {
    expect(routerSpecSchema.parse({ gatewayApi: { httpRoute: 'web' } })).toEqual({ gatewayApi: { httpRoute: 'web' } });
    const messages = (v: unknown) =>
      routerSpecSchema.safeParse(v).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(messages({})).toEqual([': expected exactly one traffic router: replicaRatio, gatewayApi, nginxIngress']);
    expect(messages({ replicaRatio: {}, gatewayApi: { httpRoute: 'web' } })).toEqual([
      ': expected exactly one traffic router: replicaRatio, gatewayApi, nginxIngress',
    ]);
    expect(messages({ gatewayApi: {} })?.[0]).toMatch(/^gatewayApi\.httpRoute: /);
    expect(messages({ nginxIngress: {} })?.[0]).toMatch(/^nginxIngress\.ingress: /);
    expect(messages({ nginxIngress: { ingress: 'Web!' } })).toEqual([
      'nginxIngress.ingress: expected an Ingress name: lower-case letters, digits, "-" and ".", at most 246 characters',
    ]);
    expect(messages({ istio: {} })).toEqual([
      'istio: unknown traffic router; expected one of: replicaRatio, gatewayApi, nginxIngress',
    ]);
  });

  it('replicaRatio refuses a weight outside 0–100 and any match', async () => {
    const router = createRouter({ key: 'replicaRatio', config: {} }, offlineClient());
    const ctx = { namespace: 'n', app: 'a', services: { stable: 's', new: 's-canary' }, port: 80 };
    await expect(router.setTraffic(ctx, weighted(101))).rejects.toThrow(RangeError);
    await expect(
      router.setTraffic(ctx, { weight: 0, matches: [{ on: 'header', name: 'x', type: 'Exact', value: '1' }] }),
    ).rejects.toThrow(RouterUnsupportedError);
    await expect(router.setTraffic(ctx, weighted(0))).resolves.toBeUndefined();
  });
});
