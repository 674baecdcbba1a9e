/**
 * KubeClient against the sandbox API server over HTTPS: faults injected by the server (429, 500, 503,
 * delays) are retried with back-off and then given up with KubeTransientError; 409/404/422 become typed
 * errors at once; every attempt is counted and reported.
 */
import {
  KubeClientClosedError,
  KubeConfigError,
  KubeConflictError,
  KubeNotFoundError,
  KubeRequestError,
  KubeTransientError,
} from '../../../src/errors';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient, type KubeVerb, type RequestOutcome } from '../../../src/kube/client';
import { freePort } from '@ramp/sandbox/util/ports';
import { requestsIn, startKubeSandbox, type KubeSandbox } from './harness';

let k: KubeSandbox;

beforeAll(async () => {
  k = await startKubeSandbox();
}, 60_000);

afterAll(async () => {
  await k?.close();
});

afterEach(() => k.sb.faults.clear());

function getRs(client: KubeClient, namespace: string, name = 'nope') {
  return client.readOrUndefined('replicasets', (o) => client.apps.readNamespacedReplicaSet({ name, namespace }, o));
}

function serviceBody(name: string, port = 80) {
  return { metadata: { name }, spec: { selector: { app: name }, ports: [{ port, targetPort: 8080 }] } };
}

describe('KubeClient lifecycle and configuration', () => {
  it('close() abandons a request in flight, refuses new ones, and is safe twice', async () => {
    const ns = k.namespace('close');
    const client = k.client();
    k.sb.faults.add({ match: { namespace: ns }, action: { type: 'delay', ms: 1000 }, times: 1 });
    const pending = getRs(client, ns);
    await new Promise((r) => setImmediate(r));
    const started = Date.now();
    await Promise.all([client.close(), client.close()]);
    await expect(pending).rejects.toBeInstanceOf(KubeClientClosedError);
    expect(Date.now() - started).toBeLessThan(500);
    expect(client.state).toBe('closed');
    await expect(getRs(client, ns)).rejects.toBeInstanceOf(KubeClientClosedError);
  });

  it('loads $KUBECONFIG when no path is given, and names a missing file', async () => {
    const saved = process.env.KUBECONFIG;
    process.env.KUBECONFIG = k.sb.kubeconfigPath;
    try {
      const client = KubeClient.fromKubeconfig();
      const ns = k.namespace('env');
      await expect(getRs(client, ns)).resolves.toBeUndefined();
      await client.close();
    } finally {
      if (saved === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = saved;
    }
    expect(() => KubeClient.fromKubeconfig('/nonexistent/kubeconfig')).toThrow(KubeConfigError);
  });
});

describe('KubeClient retries', () => {
  it.each([429, 500, 503] as const)('retries a %i and then gets the real answer', async (code) => {
    const ns = k.namespace(`retry${code}`);
    const seen: [KubeVerb, string, RequestOutcome][] = [];
    const client = k.client({ onRequest: (verb, resource, outcome) => seen.push([verb, resource, outcome]) });
    k.sb.faults.add({
      match: { namespace: ns, resources: ['replicasets'] },
      action: { type: 'status', code },
      times: 2,
    });
    await expect(getRs(client, ns)).resolves.toBeUndefined();
    expect(requestsIn(k.sb, ns, 'replicasets').map((r) => r.status)).toEqual([code, code, 404]);
    expect(seen).toEqual([
      ['get', 'replicasets', 'transient'],
      ['get', 'replicasets', 'transient'],
      ['get', 'replicasets', 'notFound'],
    ]);
    expect(client.stats()).toEqual({
      total: 3,
      reads: 3,
      writes: 0,
      retries: 2,
      byKey: { 'get replicasets transient': 2, 'get replicasets notFound': 1 },
    });
  });

  it('gives up after 5 attempts of 503 with KubeTransientError, counting each', async () => {
    const ns = k.namespace('giveup');
    const client = k.client();
    k.sb.faults.add({ match: { namespace: ns }, action: { type: 'status', code: 503 } });
    const err = await getRs(client, ns).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeTransientError);
    expect(err).toMatchObject({
      code: 'KUBE_TRANSIENT',
      verb: 'get',
      resource: 'replicasets',
      attempts: 5,
      lastFailure: '503',
    });
    expect(requestsIn(k.sb, ns)).toHaveLength(5);
    expect(client.stats()).toMatchObject({ total: 5, retries: 4, byKey: { 'get replicasets transient': 5 } });
  });

  it('times a slow request out and retries it; a request that is always slow ends in KubeTransientError(timeout)', async () => {
    const ns = k.namespace('timeout');
    const client = k.client({ timeoutMs: 300, retry: { maxAttempts: 3, initialBackoffMs: 20 } });
    k.sb.faults.add({ match: { namespace: ns }, action: { type: 'delay', ms: 700 }, times: 1 });
    const started = Date.now();
    await expect(getRs(client, ns)).resolves.toBeUndefined();
    expect(Date.now() - started).toBeLessThan(650);
    expect(client.stats().byKey).toEqual({ 'get replicasets transient': 1, 'get replicasets notFound': 1 });

    k.sb.faults.add({ match: { namespace: ns }, action: { type: 'delay', ms: 700 } });
    await expect(getRs(client, ns)).rejects.toMatchObject({
      name: 'KubeTransientError',
      attempts: 3,
      lastFailure: 'timeout',
    });
  });

  it('retries a refused connection and then gives up', async () => {
    const kc = new KubeConfig();
    const port = await freePort();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: `https://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const client = new KubeClient(kc, { retry: { maxAttempts: 3, initialBackoffMs: 10 } });
    await expect(getRs(client, 'x')).rejects.toMatchObject({
      name: 'KubeTransientError',
      attempts: 3,
      lastFailure: 'ECONNREFUSED',
    });
    await client.close();
  });

  it('waits for Retry-After on a 429', async () => {
    const ns = k.namespace('retryafter');
    const client = k.client();
    k.sb.faults.add({
      match: { namespace: ns },
      action: { type: 'status', code: 429, retryAfterSeconds: 1 },
      times: 1,
    });
    const started = Date.now();
    await getRs(client, ns);
    const elapsed = Date.now() - started;
    // Back-off alone would retry after ~20 ms. (Last in this block: it also outlasts the server-side delays above.)
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(elapsed).toBeLessThan(3000);
  });
});

describe('KubeClient typed answers', () => {
  it('turns 409 AlreadyExists into KubeConflictError without retrying', async () => {
    const ns = k.namespace('conflict');
    const client = k.client();
    const create = () =>
      client.call('create', 'services', (o) =>
        client.core.createNamespacedService({ namespace: ns, body: serviceBody('web') }, o),
      );
    await create();
    const err = await create().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeConflictError);
    expect(err).toMatchObject({ reason: 'AlreadyExists', verb: 'create', resource: 'services' });
    expect(requestsIn(k.sb, ns, 'services').map((r) => r.status)).toEqual([201, 409]);
  });

  it('answers undefined for a missing object from readOrUndefined, KubeNotFoundError from call', async () => {
    const ns = k.namespace('notfound');
    const client = k.client();
    await expect(getRs(client, ns)).resolves.toBeUndefined();
    await expect(
      client.call('get', 'replicasets', (o) =>
        client.apps.readNamespacedReplicaSet({ name: 'nope', namespace: ns }, o),
      ),
    ).rejects.toBeInstanceOf(KubeNotFoundError);
  });

  it('turns 422 into KubeRequestError with the API server message', async () => {
    const ns = k.namespace('invalid');
    const client = k.client();
    const err = await client
      .call('create', 'services', (o) =>
        client.core.createNamespacedService({ namespace: ns, body: serviceBody('web', 0) }, o),
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeRequestError);
    expect(err).toMatchObject({ status: 422, reason: 'Invalid' });
    expect((err as Error).message).toContain('spec.ports[0].port');
    expect(requestsIn(k.sb, ns)).toHaveLength(1);
  });

  it('sends its User-Agent', async () => {
    const ns = k.namespace('ua');
    await getRs(k.client({ userAgent: 'ramp-test/1' }), ns);
    expect(requestsIn(k.sb, ns)[0].userAgent).toBe('ramp-test/1');
  });
});
