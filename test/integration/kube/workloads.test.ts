/**
 * ensureReplicaSet, scaleReplicaSet, ensureService and observe against the sandbox: the objects carry
 * exactly DESIGN §3's names, labels, annotations and selectors; the sandbox kubelet runs the pods and
 * observe() sees them ready; a second ensure is free of writes; a role change touches annotations only;
 * an old revision's demotion and deletion are made only on the version observed.
 */
import {
  deleteReplicaSetIfUnchanged,
  ensureReplicaSet,
  scaleReplicaSet,
  setReplicaSetRole,
  type DesiredReplicaSet,
} from '../../../src/kube/replicaSets';
import { ensureService } from '../../../src/kube/services';
import { isFullyReady, observe, replicaSetOf } from '../../../src/kube/observe';
import { revisionOf } from '../../../src/plan/revision';
import { type KubeObject, resource, waitFor } from '@ramp/sandbox';
import { demoTemplate, requestsIn, startKubeSandbox, writesIn, type KubeSandbox } from './harness';

const RS = resource('replicasets');
const PODS = resource('pods');
const SVC = resource('services');

let k: KubeSandbox;

beforeAll(async () => {
  k = await startKubeSandbox();
}, 60_000);

afterAll(async () => {
  await k?.close();
});

afterEach(() => k.sb.faults.clear());

function desired(namespace: string, version: string, over: Partial<DesiredReplicaSet> = {}): DesiredReplicaSet {
  const template = demoTemplate('web', version);
  return {
    namespace,
    app: 'web',
    revision: revisionOf(template),
    template,
    selector: { app: 'web' },
    replicas: 2,
    role: 'canary',
    rolloutId: 'ro-1',
    ...over,
  };
}

const target = (namespace: string) => ({ namespace, app: 'web', services: { stable: 'web', canary: 'web-canary' } });

/** The object without what every write changes. */
function stripVolatile(o: KubeObject): unknown {
  const { resourceVersion: _rv, managedFields: _mf, annotations: _a, ...metadata } = o.metadata;
  return { ...o, metadata, status: undefined };
}

describe('ensureReplicaSet and observe', () => {
  it('creates the revision ReplicaSet with Ramp names, its pods come up Ready, and observe() reports them', async () => {
    const ns = k.namespace('rs');
    const client = k.client();
    const d = desired(ns, 'v1');
    const name = `web-${d.revision}`;
    await expect(ensureReplicaSet(client, d)).resolves.toBe('created');

    const rs = k.sb.registry.get(RS, ns, name) as KubeObject & {
      spec: { selector: unknown; replicas: number; template: { metadata: { labels: unknown } } };
    };
    const labels = { 'app.kubernetes.io/name': 'web', 'ramp.dev/app': 'web', 'ramp.dev/revision': d.revision };
    expect(rs.metadata.labels).toEqual(labels);
    expect(rs.metadata.annotations).toEqual({ 'ramp.dev/rollout': 'ro-1', 'ramp.dev/role': 'canary' });
    expect(rs.spec.selector).toEqual({ matchLabels: { app: 'web', 'ramp.dev/revision': d.revision } });
    expect(rs.spec.template.metadata.labels).toEqual({ app: 'web', ...labels });
    expect(rs.spec.replicas).toBe(2);

    await waitFor(
      async () => replicaSetOf(await observe(client, target(ns)), d.revision)?.status.readyReplicas === 2,
      'two ready pods in observe()',
      30_000,
      100,
    );
    const pods = k.sb.registry.list(PODS, { namespace: ns }).items;
    expect(pods).toHaveLength(2);
    for (const p of pods) {
      expect(p.metadata.name).toMatch(new RegExp(`^${name}-[a-z0-9]{5}$`));
      expect(p.metadata.labels).toMatchObject({ app: 'web', ...labels });
    }
    const seen = replicaSetOf(await observe(client, target(ns)), d.revision);
    expect(seen).toMatchObject({
      name,
      revision: d.revision,
      role: 'canary',
      rolloutId: 'ro-1',
      replicas: 2,
      status: { replicas: 2, readyReplicas: 2, availableReplicas: 2 },
    });
    expect(seen && isFullyReady(seen)).toBe(true);
    expect(seen?.template.spec?.containers[0].image).toBe('ramp.dev/demo-app:v1');
    expect(Date.parse(seen?.createdAt ?? '')).toBeGreaterThan(0);
  });

  it('makes no write on a second ensure, and reads once', async () => {
    const ns = k.namespace('rs-again');
    const client = k.client();
    const d = desired(ns, 'v1', { replicas: 0 });
    expect(await ensureReplicaSet(client, d)).toBe('created');
    const before = { writes: writesIn(k.sb, ns).length, requests: requestsIn(k.sb, ns).length };
    expect(await ensureReplicaSet(client, d)).toBe('unchanged');
    expect(writesIn(k.sb, ns)).toHaveLength(before.writes);
    expect(requestsIn(k.sb, ns)).toHaveLength(before.requests + 1);
  });

  it('scales, and makes no write when the count is already right', async () => {
    const ns = k.namespace('rs-scale');
    const client = k.client();
    const d = desired(ns, 'v1', { replicas: 1 });
    await ensureReplicaSet(client, d);
    expect(await scaleReplicaSet(client, ns, `web-${d.revision}`, 3)).toBe('updated');
    const writes = writesIn(k.sb, ns).length;
    expect(await scaleReplicaSet(client, ns, `web-${d.revision}`, 3)).toBe('unchanged');
    expect(writesIn(k.sb, ns)).toHaveLength(writes);
    await waitFor(
      async () => replicaSetOf(await observe(client, target(ns)), d.revision)?.status.readyReplicas === 3,
      'three ready pods',
      30_000,
      100,
    );
    expect(await scaleReplicaSet(client, ns, `web-${d.revision}`, 0)).toBe('updated');
    await waitFor(() => k.sb.registry.list(PODS, { namespace: ns }).items.length === 0, 'the pods to go', 30_000);
    await expect(scaleReplicaSet(client, ns, 'web-missing', 1)).rejects.toMatchObject({ name: 'KubeNotFoundError' });
  });

  it('changes only the annotations when the role changes', async () => {
    const ns = k.namespace('rs-role');
    const client = k.client();
    const d = desired(ns, 'v1', { replicas: 0 });
    await ensureReplicaSet(client, d);
    const name = `web-${d.revision}`;
    const before = k.sb.registry.get(RS, ns, name);
    const writes = writesIn(k.sb, ns).length;
    expect(await ensureReplicaSet(client, { ...d, role: 'stable', rolloutId: 'ro-2' })).toBe('updated');
    const after = k.sb.registry.get(RS, ns, name);
    expect(
      writesIn(k.sb, ns)
        .map((r) => r.method)
        .slice(writes),
    ).toEqual(['PATCH']);
    expect(after.metadata.annotations).toEqual({ 'ramp.dev/rollout': 'ro-2', 'ramp.dev/role': 'stable' });
    expect(stripVolatile(after)).toEqual(stripVolatile(before));
    expect(after.metadata.generation).toBe(before.metadata.generation);
  });

  it('resolves a 409 by reading again: created by someone else meanwhile, or refused once', async () => {
    const ns = k.namespace('rs-409');
    const client = k.client();
    const d = desired(ns, 'v1', { replicas: 0 });
    k.sb.faults.add({ match: { namespace: ns, verbs: ['create'] }, action: { type: 'status', code: 409 }, times: 1 });
    expect(await ensureReplicaSet(client, d)).toBe('created');
    expect(requestsIn(k.sb, ns, 'replicasets').map((r) => `${r.method} ${r.status}`)).toEqual([
      'GET 404',
      'POST 409',
      'GET 404',
      'POST 201',
    ]);

    // Someone else's copy appears between our read and our create: we get AlreadyExists, read it, and fix its replicas.
    const other = desired(ns, 'v2', { replicas: 0 });
    k.sb.faults.add({ match: { namespace: ns, verbs: ['create'] }, action: { type: 'delay', ms: 300 }, times: 1 });
    const ensuring = ensureReplicaSet(client, { ...other, replicas: 1 });
    await waitFor(() => k.sb.faults.list().length === 0, 'our create to be held', 5000, 5);
    await ensureReplicaSet(k.client(), other);
    expect(await ensuring).toBe('updated');
    expect((k.sb.registry.get(RS, ns, `web-${other.revision}`).spec as { replicas: number }).replicas).toBe(1);
    expect(requestsIn(k.sb, ns, 'replicasets').filter((r) => r.status === 409)).toHaveLength(2);
  });
});

describe('ensureService and observe', () => {
  it('creates the stable and canary Services, makes no write again, and patches the selector in place', async () => {
    const ns = k.namespace('svc');
    const client = k.client();
    const pinned = { 'ramp.dev/app': 'web', 'ramp.dev/revision': 'r1' };
    expect(
      await ensureService(client, { namespace: ns, name: 'web', selector: pinned, port: 80, targetPort: 'http' }),
    ).toBe('created');
    expect(
      await ensureService(client, {
        namespace: ns,
        name: 'web-canary',
        selector: { ...pinned, 'ramp.dev/revision': 'r2' },
        port: 80,
        targetPort: 'http',
      }),
    ).toBe('created');
    const created = k.sb.registry.get(SVC, ns, 'web') as KubeObject & {
      spec: { selector: unknown; ports: unknown; clusterIP: string };
    };
    expect(created.spec.selector).toEqual(pinned);
    expect(created.spec.ports).toEqual([{ name: 'http', protocol: 'TCP', port: 80, targetPort: 'http' }]);

    const writes = writesIn(k.sb, ns).length;
    expect(
      await ensureService(client, { namespace: ns, name: 'web', selector: pinned, port: 80, targetPort: 'http' }),
    ).toBe('unchanged');
    expect(writesIn(k.sb, ns)).toHaveLength(writes);

    // replicaRatio: the stable Service selects the whole app.
    expect(
      await ensureService(client, {
        namespace: ns,
        name: 'web',
        selector: { 'ramp.dev/app': 'web' },
        port: 80,
        targetPort: 'http',
      }),
    ).toBe('updated');
    const patched = k.sb.registry.get(SVC, ns, 'web') as typeof created;
    expect(patched.spec.selector).toEqual({ 'ramp.dev/app': 'web' });
    expect(patched.metadata.uid).toBe(created.metadata.uid);
    expect(patched.spec.clusterIP).toBe(created.spec.clusterIP);
    expect(
      writesIn(k.sb, ns)
        .slice(writes)
        .map((r) => r.method),
    ).toEqual(['PATCH']);

    const seen = await observe(client, target(ns));
    expect(seen.services.stable).toEqual({
      name: 'web',
      selector: { 'ramp.dev/app': 'web' },
      ports: [{ name: 'http', port: 80, targetPort: 'http' }],
    });
    expect(seen.services.canary?.selector).toEqual({ ...pinned, 'ramp.dev/revision': 'r2' });
  });

  it('observe() costs two lists (ReplicaSets, pods) and two gets, and reports absent Services, no ReplicaSets and no pods as such', async () => {
    const ns = k.namespace('observe');
    const client = k.client();
    const before = client.stats();
    const seen = await observe(client, target(ns));
    expect(seen).toMatchObject({
      namespace: ns,
      app: 'web',
      replicaSets: [],
      services: {},
      pods: {},
    });
    const after = client.stats();
    expect(after.total - before.total).toBe(4);
    expect(after.byKey['list replicasets ok'] - (before.byKey['list replicasets ok'] ?? 0)).toBe(1);
    expect(after.byKey['list pods ok'] - (before.byKey['list pods ok'] ?? 0)).toBe(1);
    expect(after.byKey['get services notFound'] - (before.byKey['get services notFound'] ?? 0)).toBe(2);
  });

  it('lists only the app’s own ReplicaSets, with their roles and rollouts', async () => {
    const ns = k.namespace('observe-own');
    const client = k.client();
    const v1 = desired(ns, 'v1', { replicas: 0 });
    const v2 = desired(ns, 'v2', { replicas: 0, role: 'canary', rolloutId: 'ro-9' });
    await ensureReplicaSet(client, { ...v1, role: 'stable' });
    await ensureReplicaSet(client, v2);
    await ensureReplicaSet(client, { ...desired(ns, 'v1', { replicas: 0 }), app: 'other' });
    const seen = await observe(client, target(ns));
    // Creation times have one-second resolution, so two made in the same second come in name order.
    expect(seen.replicaSets.map((r) => [r.revision, r.role, r.rolloutId]).sort()).toEqual(
      [
        [v1.revision, 'stable', 'ro-1'],
        [v2.revision, 'canary', 'ro-9'],
      ].sort(),
    );
  });
});

describe('retiring old ReplicaSets', () => {
  /** The version of the ReplicaSet the registry holds now. */
  const versionOf = (ns: string, name: string) => {
    const o = k.sb.registry.get(RS, ns, name);
    return { uid: o.metadata.uid ?? '', resourceVersion: o.metadata.resourceVersion ?? '' };
  };

  it('sets the role on the version observed, and leaves one changed since alone', async () => {
    const ns = k.namespace('rs-demote');
    const client = k.client();
    const d = desired(ns, 'v1', { replicas: 0, role: 'stable' });
    await ensureReplicaSet(client, d);
    const name = `web-${d.revision}`;
    const stale = versionOf(ns, name);
    await scaleReplicaSet(client, ns, name, 1);
    expect(await setReplicaSetRole(client, ns, name, 'old', stale)).toBe('changed');
    expect(k.sb.registry.get(RS, ns, name).metadata.annotations?.['ramp.dev/role']).toBe('stable');
    expect(await setReplicaSetRole(client, ns, name, 'old', versionOf(ns, name))).toBe('updated');
    expect(k.sb.registry.get(RS, ns, name).metadata.annotations).toEqual({
      'ramp.dev/rollout': 'ro-1',
      'ramp.dev/role': 'old',
    });
    expect(await setReplicaSetRole(client, ns, 'web-missing', 'old', stale)).toBe('gone');
  });

  it('deletes only the object and version observed: one scaled up meanwhile stays, a second delete finds it gone', async () => {
    const ns = k.namespace('rs-prune');
    const client = k.client();
    const d = desired(ns, 'v1', { replicas: 0 });
    await ensureReplicaSet(client, d);
    const name = `web-${d.revision}`;
    const stale = versionOf(ns, name);
    await scaleReplicaSet(client, ns, name, 1);
    expect(await deleteReplicaSetIfUnchanged(client, ns, name, stale)).toBe('changed');
    expect(k.sb.registry.get(RS, ns, name).metadata.name).toBe(name);
    await scaleReplicaSet(client, ns, name, 0);
    await waitFor(() => k.sb.registry.list(PODS, { namespace: ns }).items.length === 0, 'the pods to go', 30_000);
    const seen = versionOf(ns, name);
    // Another object of the same name (deleted and made again) is not the one observed either.
    expect(await deleteReplicaSetIfUnchanged(client, ns, name, { ...seen, uid: 'someone-else' })).toBe('changed');
    expect(await deleteReplicaSetIfUnchanged(client, ns, name, seen)).toBe('deleted');
    expect(k.sb.registry.list(RS, { namespace: ns }).items).toEqual([]);
    expect(await deleteReplicaSetIfUnchanged(client, ns, name, seen)).toBe('gone');
  });

  it('observe() counts pods being deleted apart from those that run', async () => {
    const ns = k.namespace('observe-terminating');
    const client = k.client();
    // A finalizer holds the pod between its delete and its removal, as a slow shutdown would.
    k.sb.registry.create(PODS, ns, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'web-r1-held',
        labels: { 'ramp.dev/app': 'web', 'ramp.dev/revision': 'r1' },
        finalizers: ['example.com/hold'],
      },
      spec: { containers: [{ name: 'app', image: 'ramp.dev/demo-app:v1' }] },
    });
    k.sb.registry.delete(PODS, ns, 'web-r1-held', { gracePeriodSeconds: 0 });
    const seen = await observe(client, target(ns));
    expect(seen.pods).toEqual({});
    expect(seen.terminating).toEqual({ r1: 1 });
  });
});
