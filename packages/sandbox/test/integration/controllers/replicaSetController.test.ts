import { clone } from '../../../src/apiServer/types';
import {
  eventMessages,
  eventually,
  podsOf,
  replicaSetBody,
  startCluster,
  statusOf,
  T,
  type TestCluster,
} from './cluster';
import { PodSimulator, setPodReady } from './podSimulator';

const NS = 'default';

describe('ReplicaSet controller', () => {
  let cluster: TestCluster;
  let sim: PodSimulator | undefined;

  beforeEach(() => {
    cluster = startCluster();
  });

  afterEach(async () => {
    sim?.stop();
    sim = undefined;
    await cluster.close();
    expect(cluster.errors).toEqual([]);
  });

  const rs = (name: string) => cluster.registry.tryGet(T.replicasets, NS, name);

  it('creates pods up to spec.replicas, named and owned like Kubernetes, and counts them in status', async () => {
    const { registry } = cluster;
    sim = new PodSimulator(registry).start();
    const created = registry.create(T.replicasets, NS, replicaSetBody('web', 3)).object;
    await eventually(() => statusOf(rs('web')).availableReplicas === 3, 'three available replicas');
    const pods = podsOf(registry, NS, created.metadata.uid);
    expect(pods).toHaveLength(3);
    for (const p of pods) {
      expect(p.metadata.name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      expect(p.metadata.labels).toEqual({ app: 'web' });
      expect(p.metadata.ownerReferences).toEqual([
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: 'web',
          uid: created.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
    }
    expect(statusOf(rs('web'))).toMatchObject({
      replicas: 3,
      fullyLabeledReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      observedGeneration: 1,
    });
    expect(eventMessages(registry, NS, 'SuccessfulCreate').sort()).toEqual(
      pods.map((p) => `Created pod: ${p.metadata.name}`).sort(),
    );
  });

  it('scales up and down with spec.replicas, and replaces a deleted pod', async () => {
    const { registry } = cluster;
    sim = new PodSimulator(registry).start();
    const created = registry.create(T.replicasets, NS, replicaSetBody('web', 2)).object;
    await eventually(() => statusOf(rs('web')).readyReplicas === 2, 'two ready');

    registry.patch(T.replicasets, NS, 'web', 'merge', { spec: { replicas: 5 } });
    await eventually(
      () => statusOf(rs('web')).readyReplicas === 5 && podsOf(registry, NS, created.metadata.uid).length === 5,
      'five ready',
    );
    expect(statusOf(rs('web')).observedGeneration).toBe(2);

    registry.patch(T.replicasets, NS, 'web', 'merge', { spec: { replicas: 1 } });
    await eventually(
      () => podsOf(registry, NS, created.metadata.uid).length === 1 && statusOf(rs('web')).replicas === 1,
      'one pod left',
    );
    expect(statusOf(rs('web'))).toMatchObject({
      replicas: 1,
      readyReplicas: 1,
      availableReplicas: 1,
      observedGeneration: 3,
    });
    expect(eventMessages(registry, NS, 'SuccessfulDelete')).toHaveLength(4);

    const [only] = podsOf(registry, NS, created.metadata.uid);
    registry.delete(T.pods, NS, only.metadata.name ?? '');
    await eventually(() => {
      const pods = podsOf(registry, NS, created.metadata.uid);
      return pods.length === 1 && pods[0].metadata.uid !== only.metadata.uid && statusOf(rs('web')).readyReplicas === 1;
    }, 'a replacement pod');
  });

  it('does not count pods being deleted, and makes their replacements at once', async () => {
    const { registry } = cluster;
    // The kubelet stand-in leaves graceful deletions unfinished: pods stay, terminating.
    sim = new PodSimulator(registry, { finishDeletions: false }).start();
    const created = registry.create(T.replicasets, NS, replicaSetBody('web', 2)).object;
    await eventually(() => statusOf(rs('web')).readyReplicas === 2, 'two ready');
    const [victim] = podsOf(registry, NS, created.metadata.uid);
    registry.delete(T.pods, NS, victim.metadata.name ?? '');
    expect(registry.get(T.pods, NS, victim.metadata.name ?? '').metadata.deletionTimestamp).toBeDefined();
    await eventually(
      () =>
        podsOf(registry, NS, created.metadata.uid).filter((p) => !p.metadata.deletionTimestamp).length === 2 &&
        statusOf(rs('web')).readyReplicas === 2,
      'a replacement while the old pod terminates',
    );
    expect(podsOf(registry, NS, created.metadata.uid)).toHaveLength(3);
    expect(statusOf(rs('web')).replicas).toBe(2);
  });

  it('adopts a matching orphan pod instead of creating one', async () => {
    const { registry } = cluster;
    const orphan = registry.create(T.pods, NS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'stray', labels: { app: 'web' } },
      spec: { containers: [{ name: 'app', image: 'ramp.dev/demo-app:1' }] },
    }).object;
    const created = registry.create(T.replicasets, NS, replicaSetBody('web', 2)).object;
    await eventually(() => podsOf(registry, NS, created.metadata.uid).length === 2, 'two owned pods');
    const adopted = registry.get(T.pods, NS, 'stray');
    expect(adopted.metadata.uid).toBe(orphan.metadata.uid);
    expect(adopted.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'ReplicaSet',
      name: 'web',
      uid: created.metadata.uid,
      controller: true,
    });
    expect(eventMessages(registry, NS, 'SuccessfulCreate')).toHaveLength(1);
  });

  it('releases a pod whose labels no longer match, and replaces it', async () => {
    const { registry } = cluster;
    sim = new PodSimulator(registry).start();
    const created = registry.create(T.replicasets, NS, replicaSetBody('web', 2)).object;
    await eventually(() => statusOf(rs('web')).readyReplicas === 2, 'two ready');
    const [leaving] = podsOf(registry, NS, created.metadata.uid);
    const relabelled = clone(leaving);
    relabelled.metadata.labels = { app: 'debug' };
    registry.update(T.pods, NS, leaving.metadata.name ?? '', relabelled);
    const released = () => registry.get(T.pods, NS, leaving.metadata.name ?? '').metadata.ownerReferences === undefined;
    await eventually(
      () =>
        released() &&
        podsOf(registry, NS, created.metadata.uid).length === 2 &&
        statusOf(rs('web')).readyReplicas === 2,
      'released, and replaced',
    );
    expect(podsOf(registry, NS, created.metadata.uid).map((p) => p.metadata.uid)).not.toContain(leaving.metadata.uid);
  });

  it('deletes not-ready pods before ready ones when scaling down', async () => {
    const { registry } = cluster;
    sim = new PodSimulator(registry, { ready: false }).start();
    const created = registry.create(T.replicasets, NS, replicaSetBody('web', 3)).object;
    await eventually(
      () =>
        podsOf(registry, NS, created.metadata.uid).every((p) => (p.spec as { nodeName?: string }).nodeName) &&
        podsOf(registry, NS, created.metadata.uid).length === 3,
      'three bound pods',
    );
    const pods = podsOf(registry, NS, created.metadata.uid);
    setPodReady(registry, pods[0], true);
    setPodReady(registry, pods[1], true);
    setPodReady(registry, pods[2], false);
    await eventually(() => statusOf(rs('web')).readyReplicas === 2, 'two ready');
    registry.patch(T.replicasets, NS, 'web', 'merge', { spec: { replicas: 2 } });
    await eventually(() => podsOf(registry, NS, created.metadata.uid).length === 2, 'one pod deleted');
    expect(
      podsOf(registry, NS, created.metadata.uid)
        .map((p) => p.metadata.name)
        .sort(),
    ).toEqual([pods[0].metadata.name, pods[1].metadata.name].sort());
  });

  it('counts a pod available only after minReadySeconds', async () => {
    const { registry } = cluster;
    sim = new PodSimulator(registry).start();
    const body = replicaSetBody('web', 1) as { spec: Record<string, unknown> };
    body.spec.minReadySeconds = 1;
    registry.create(T.replicasets, NS, body);
    await eventually(() => statusOf(rs('web')).readyReplicas === 1, 'ready');
    expect(statusOf(rs('web')).availableReplicas).toBe(0);
    await eventually(() => statusOf(rs('web')).availableReplicas === 1, 'available after minReadySeconds', 5000);
  });
});
