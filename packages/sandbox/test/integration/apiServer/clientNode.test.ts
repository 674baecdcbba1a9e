/**
 * The sandbox API server through the real @kubernetes/client-node over HTTPS: lists with selectors and
 * pages, watches that resume, 409 on a stale update, 410 and a relist, 422 naming the field.
 */
import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  makeInformer,
  Watch,
  type V1Deployment,
  type V1Pod,
} from '@kubernetes/client-node';
import { startApiServer, type ApiHarness } from '../../helpers/apiServerHarness';
import { waitFor } from '../../../src/util/ports';

function pod(name: string, labels: Record<string, string> = {}): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: { containers: [{ name: 'c', image: 'ramp.dev/demo-app:v1' }] },
  };
}

function deployment(name: string, replicas: unknown): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas: replicas as number,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image: 'ramp.dev/demo-app:v1' }] },
      },
    },
  };
}

describe('@kubernetes/client-node against the sandbox API server', () => {
  let h: ApiHarness;
  let kc: KubeConfig;
  let core: CoreV1Api;
  let apps: AppsV1Api;
  const ns = 'client-node';

  beforeAll(async () => {
    h = await startApiServer({ bookmarkIntervalMs: 200 });
    kc = new KubeConfig();
    kc.loadFromFile(h.kubeconfig);
    core = kc.makeApiClient(CoreV1Api);
    apps = kc.makeApiClient(AppsV1Api);
    await core.createNamespace({ body: { metadata: { name: ns } } });
  });
  afterAll(async () => {
    await h.close();
  });

  it('lists with a label selector and pages with limit/continue', async () => {
    for (let i = 0; i < 5; i++)
      await core.createNamespacedPod({
        namespace: ns,
        body: pod(`list-${i}`, { tier: i % 2 ? 'odd' : 'even', group: 'list' }),
      });
    const even = await core.listNamespacedPod({ namespace: ns, labelSelector: 'group=list,tier=even' });
    expect(even.items.map((p) => p.metadata?.name)).toEqual(['list-0', 'list-2', 'list-4']);
    const page1 = await core.listNamespacedPod({ namespace: ns, labelSelector: 'group=list', limit: 2 });
    expect(page1.items).toHaveLength(2);
    expect(page1.metadata?.remainingItemCount).toBe(3);
    const page2 = await core.listNamespacedPod({
      namespace: ns,
      labelSelector: 'group=list',
      limit: 10,
      _continue: page1.metadata?._continue,
    });
    expect(page2.items.map((p) => p.metadata?.name)).toEqual(['list-2', 'list-3', 'list-4']);
    expect(page2.metadata?._continue).toBeUndefined();
  });

  it('watches, and resumes from the last resourceVersion it saw', async () => {
    const seen: string[] = [];
    let lastRv = '';
    const watch = new Watch(kc);
    const first = await watch.watch(
      `/api/v1/namespaces/${ns}/pods`,
      {
        labelSelector: 'group=watch',
        resourceVersion: (await core.listNamespacedPod({ namespace: ns })).metadata?.resourceVersion,
      },
      (type, obj: V1Pod) => {
        seen.push(`${type} ${obj.metadata?.name}`);
        lastRv = obj.metadata?.resourceVersion ?? lastRv;
      },
      () => undefined,
    );
    await core.createNamespacedPod({ namespace: ns, body: pod('w1', { group: 'watch' }) });
    await waitFor(() => seen.length === 1, 'the first watch event', 5000);
    first.abort();
    await core.createNamespacedPod({ namespace: ns, body: pod('w2', { group: 'watch' }) });
    await core.deleteNamespacedPod({ name: 'w1', namespace: ns });
    const resumed: string[] = [];
    const second = await watch.watch(
      `/api/v1/namespaces/${ns}/pods`,
      { labelSelector: 'group=watch', resourceVersion: lastRv },
      (type, obj: V1Pod) => resumed.push(`${type} ${obj.metadata?.name}`),
      () => undefined,
    );
    await waitFor(() => resumed.length === 2, 'the missed events', 5000);
    second.abort();
    expect(seen).toEqual(['ADDED w1']);
    expect(resumed).toEqual(['ADDED w2', 'DELETED w1']);
  });

  it('sends bookmarks when asked', async () => {
    const types: string[] = [];
    const req = await new Watch(kc).watch(
      `/api/v1/namespaces/${ns}/pods`,
      {
        allowWatchBookmarks: true,
        resourceVersion: (await core.listNamespacedPod({ namespace: ns })).metadata?.resourceVersion,
      },
      (type) => types.push(type),
      () => undefined,
    );
    await waitFor(() => types.includes('BOOKMARK'), 'a bookmark', 5000);
    req.abort();
  });

  it('answers 409 Conflict to an update with a stale resourceVersion', async () => {
    const created = await apps.createNamespacedDeployment({ namespace: ns, body: deployment('conflict', 1) });
    await apps.replaceNamespacedDeployment({
      name: 'conflict',
      namespace: ns,
      body: { ...created, spec: { ...created.spec!, replicas: 2 } },
    });
    const err = await apps
      .replaceNamespacedDeployment({
        name: 'conflict',
        namespace: ns,
        body: { ...created, spec: { ...created.spec!, replicas: 3 } },
      })
      .catch((e: unknown) => e);
    expect((err as { code: number }).code).toBe(409);
    expect(JSON.parse((err as { body: string }).body)).toMatchObject({ kind: 'Status', reason: 'Conflict', code: 409 });
  });

  it('answers 422 naming the field of an invalid object', async () => {
    const err = await apps
      .createNamespacedDeployment({ namespace: ns, body: deployment('invalid', 'three') })
      .catch((e: unknown) => e);
    expect((err as { code: number }).code).toBe(422);
    const status = JSON.parse((err as { body: string }).body);
    expect(status.reason).toBe('Invalid');
    expect(status.details.causes).toEqual([expect.objectContaining({ field: 'spec.replicas' })]);
  });

  it('makes an informer relist after its watch is dropped and the history is gone (410)', async () => {
    await core.createNamespacedPod({ namespace: ns, body: pod('inf-0', { group: 'inf' }) });
    const path = `/api/v1/namespaces/${ns}/pods`;
    const informer = makeInformer(
      kc,
      path,
      () => core.listNamespacedPod({ namespace: ns, labelSelector: 'group=inf' }),
      'group=inf',
    );
    const names = new Set<string>();
    informer.on('add', (p: V1Pod) => names.add(p.metadata?.name ?? ''));
    informer.on('delete', (p: V1Pod) => names.delete(p.metadata?.name ?? ''));
    await informer.start();
    await waitFor(() => names.has('inf-0'), 'the informer to list', 5000);
    const listsBefore = h.server.requestLog.filter(
      (r) => r.url.startsWith(path) && !r.url.includes('watch=true') && r.url.includes('group%3Dinf'),
    ).length;
    // Drop the informer's watch and hold its re-watch back while a change happens and the history is
    // compacted: the re-watch then asks for a resourceVersion the server no longer has.
    h.server.faults.add({
      match: { verbs: ['watch'], resources: ['pods'], namespace: ns },
      action: { type: 'delay', ms: 1000 },
      times: 1,
    });
    h.server.faults.add({
      match: { verbs: ['watch'], resources: ['pods'], namespace: ns },
      action: { type: 'dropWatch', afterMs: 0 },
      times: 1,
    });
    await core.createNamespacedPod({ namespace: ns, body: pod('inf-1', { group: 'inf' }) });
    h.registry.store.compact();
    await waitFor(() => names.has('inf-1'), 'the informer to see the new pod after relisting', 10_000);
    const listsAfter = h.server.requestLog.filter(
      (r) => r.url.startsWith(path) && !r.url.includes('watch=true') && r.url.includes('group%3Dinf'),
    ).length;
    await informer.stop();
    expect(listsAfter).toBeGreaterThan(listsBefore);
  });

  it('injects 500, 429 and delays on chosen requests only', async () => {
    const id = h.server.faults.add({
      match: { verbs: ['get'], resources: ['deployments'] },
      action: { type: 'status', code: 500 },
      times: 1,
    });
    const err = await apps.readNamespacedDeployment({ name: 'conflict', namespace: ns }).catch((e: unknown) => e);
    expect((err as { code: number }).code).toBe(500);
    expect((await apps.readNamespacedDeployment({ name: 'conflict', namespace: ns })).metadata?.name).toBe('conflict');
    h.server.faults.remove(id);
    h.server.faults.add({
      match: { verbs: ['list'], resources: ['pods'] },
      action: { type: 'status', code: 429, retryAfterSeconds: 1 },
      times: 1,
    });
    const throttled = await core.listNamespacedPod({ namespace: ns }).catch((e: unknown) => e);
    expect((throttled as { code: number }).code).toBe(429);
    h.server.faults.add({
      match: { verbs: ['get'], resources: ['deployments'] },
      action: { type: 'delay', ms: 300 },
      times: 1,
    });
    const t0 = Date.now();
    await apps.readNamespacedDeployment({ name: 'conflict', namespace: ns });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
  });

  it('refuses requests without a valid token', async () => {
    const bad = new KubeConfig();
    bad.loadFromString(
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name: 'c',
            cluster: { server: h.server.url, 'certificate-authority-data': Buffer.from(h.caPem).toString('base64') },
          },
        ],
        users: [{ name: 'u', user: { token: 'not-the-token' } }],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'x',
      }),
    );
    const err = await bad
      .makeApiClient(CoreV1Api)
      .listNamespace()
      .catch((e: unknown) => e);
    expect((err as { code: number }).code).toBe(401);
  });
});
