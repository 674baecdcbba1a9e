import { KubeConfig } from '@kubernetes/client-node';
import { RouterUnsupportedError } from '../../../src/errors/routerUnsupportedError';
import { UnknownImplementationError } from '../../../src/errors/unknownImplementationError';
import { KubeClient } from '../../../src/kube/client';
import { createRouter, ROUTER_KINDS } from '../../../src/kube/routers/factory';

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

describe('createRouter', () => {
  it('builds each known router, of its kind', () => {
    const client = offlineClient();
    expect(ROUTER_KINDS).toEqual(['replicaRatio', 'gatewayApi']);
    for (const kind of ROUTER_KINDS) expect(createRouter(kind, client).kind).toBe(kind);
  });

  it('refuses an unknown kind with UnknownImplementationError naming the known ones', () => {
    const err = (() => {
      try {
        createRouter('nginxIngress', offlineClient());
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(UnknownImplementationError);
    expect((err as UnknownImplementationError).message).toBe(
      'unknown traffic router "nginxIngress"; expected one of: replicaRatio, gatewayApi',
    );
    expect(() => createRouter('toString', offlineClient())).toThrow(UnknownImplementationError);
  });

  it('replicaRatio refuses a weight outside 0–100 and non-empty matches', async () => {
    const router = createRouter('replicaRatio', offlineClient());
    const ctx = { namespace: 'n', app: 'a', service: { name: 's', canaryName: 's-canary', port: 80 } };
    await expect(router.setWeight(ctx, 101)).rejects.toThrow(RangeError);
    await expect(router.setMatches(ctx, [{ header: { name: 'x', value: '1' } }])).rejects.toThrow(
      RouterUnsupportedError,
    );
    await expect(router.setMatches(ctx, [])).resolves.toBeUndefined();
  });
});
