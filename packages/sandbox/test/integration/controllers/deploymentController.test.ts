import type { Registry } from '../../../src/apiServer/registry';
import { fromLabelSelector } from '../../../src/apiServer/selectors';
import { clone, type KubeObject } from '../../../src/apiServer/types';
import {
  annotation,
  deploymentBody,
  eventMessages,
  eventually,
  podsOf,
  replicaSetsOf,
  rolloutComplete,
  specReplicas,
  startCluster,
  statusOf,
  T,
  type DeploymentBodyOptions,
  type TestCluster,
} from './cluster';
import { PodSimulator } from './podSimulator';

const NS = 'default';
const REVISION = 'deployment.kubernetes.io/revision';
const SURGE_1 = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } };

/** What `kubectl rollout undo` does: the previous revision's template and annotations, patched back. */
function kubectlUndo(registry: Registry, name: string): void {
  const d = registry.get(T.deployments, NS, name);
  const selector = fromLabelSelector((d.spec as { selector: never }).selector);
  const owned = registry
    .list(T.replicasets, { namespace: NS, labelSelector: selector })
    .items.filter((rs) => rs.metadata.ownerReferences?.some((r) => r.uid === d.metadata.uid && r.controller));
  const revisions = owned.map((rs) => Number(annotation(rs, REVISION))).sort((a, b) => b - a);
  const previous = owned.find((rs) => Number(annotation(rs, REVISION)) === revisions[1]);
  if (!previous) throw new Error('no previous revision');
  const template = clone((previous.spec as { template: { metadata: { labels: Record<string, string> } } }).template);
  delete template.metadata.labels['pod-template-hash'];
  const skip = new Set([
    'kubectl.kubernetes.io/last-applied-configuration',
    REVISION,
    'deployment.kubernetes.io/revision-history',
    'deployment.kubernetes.io/desired-replicas',
    'deployment.kubernetes.io/max-replicas',
    'deprecated.deployment.rollback.to',
  ]);
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) if (skip.has(k)) annotations[k] = v;
  for (const [k, v] of Object.entries(previous.metadata.annotations ?? {})) if (!skip.has(k)) annotations[k] = v;
  registry.patch(T.deployments, NS, name, 'json', [
    { op: 'replace', path: '/spec/template', value: template },
    { op: 'replace', path: '/metadata/annotations', value: annotations },
  ]);
}

function setImage(registry: Registry, name: string, image: string): void {
  registry.patch(T.deployments, NS, name, 'strategic', {
    spec: { template: { spec: { containers: [{ name: 'app', image }] } } },
  });
}

function imageOf(o: KubeObject): string {
  return (o.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0].image;
}

describe('Deployment controller', () => {
  let cluster: TestCluster;
  let sim: PodSimulator | undefined;
  const dep = () => cluster.registry.tryGet(T.deployments, NS, 'web');
  const rsFor = (image: string, d = dep()) =>
    replicaSetsOf(cluster.registry, NS, d?.metadata.uid ?? '').find((rs) => imageOf(rs) === image);

  beforeEach(() => {
    cluster = startCluster();
  });

  afterEach(async () => {
    sim?.stop();
    sim = undefined;
    await cluster.close();
    expect(cluster.errors).toEqual([]);
  });

  async function deployAndWait(o: DeploymentBodyOptions = {}): Promise<KubeObject> {
    const created = cluster.registry.create(T.deployments, NS, deploymentBody('web', o)).object;
    await eventually(() => rolloutComplete(dep()), 'the first rollout');
    return created;
  }

  async function rollTo(image: string): Promise<void> {
    setImage(cluster.registry, 'web', image);
    await eventually(() => rolloutComplete(dep()) && imageOf(dep()!) === image, `rollout to ${image}`);
  }

  it('creates a ReplicaSet named by pod-template-hash at revision 1, and reports what rollout status reads', async () => {
    sim = new PodSimulator(cluster.registry).start();
    const d = await deployAndWait({ replicas: 3 });
    const [rs] = replicaSetsOf(cluster.registry, NS, d.metadata.uid ?? '');
    const hash = rs.metadata.labels?.['pod-template-hash'];
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    expect(rs.metadata.name).toBe(`web-${hash}`);
    expect(rs.metadata.annotations).toEqual({
      [REVISION]: '1',
      'deployment.kubernetes.io/desired-replicas': '3',
      'deployment.kubernetes.io/max-replicas': '4',
    });
    expect(rs.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: 'web',
        uid: d.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect((rs.spec as { selector: unknown }).selector).toEqual({
      matchLabels: { app: 'web', 'pod-template-hash': hash },
    });
    expect(
      podsOf(cluster.registry, NS, rs.metadata.uid).every((p) => p.metadata.labels?.['pod-template-hash'] === hash),
    ).toBe(true);
    expect(annotation(dep(), REVISION)).toBe('1');
    expect(statusOf(dep())).toMatchObject({
      observedGeneration: 1,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
    });
    const conditions = statusOf(dep()).conditions ?? [];
    expect(conditions.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Available', 'True', 'MinimumReplicasAvailable'],
      ['Progressing', 'True', 'NewReplicaSetAvailable'],
    ]);
    expect(conditions[1].message).toBe(`ReplicaSet "${rs.metadata.name}" has successfully progressed.`);
    expect(eventMessages(cluster.registry, NS, 'ScalingReplicaSet')).toEqual([
      `Scaled up replica set ${rs.metadata.name} from 0 to 3`,
    ]);
  });

  it('rolls with maxSurge=1/maxUnavailable=0: never fewer than replicas ready, never more than replicas+1 pods', async () => {
    const { registry } = cluster;
    sim = new PodSimulator(registry, { readyDelayMs: 20 }).start();
    const d = await deployAndWait({ replicas: 3, strategy: SURGE_1 });
    const oldRS = rsFor('ramp.dev/demo-app:1');

    const live = new Map<string, KubeObject>();
    let minReady = Infinity;
    let maxPods = 0;
    const history: string[] = [];
    // The watch first replays the existing pods one by one: counting starts once it has them all.
    let replayed = false;
    const ready = (p: KubeObject) =>
      !p.metadata.deletionTimestamp &&
      ((p.status as { conditions?: { type: string; status: string }[] }).conditions ?? []).some(
        (c) => c.type === 'Ready' && c.status === 'True',
      );
    const watch = registry.watch(T.pods, { namespace: NS }, (e) => {
      if (e.type === 'DELETED') live.delete(e.object.metadata.uid ?? '');
      else live.set(e.object.metadata.uid ?? '', e.object);
      const pods = [...live.values()].filter((p) => !p.metadata.deletionTimestamp);
      const readyCount = pods.filter(ready).length;
      if (!replayed) return;
      minReady = Math.min(minReady, readyCount);
      maxPods = Math.max(maxPods, pods.length);
      history.push(`${pods.length} pods, ${readyCount} ready`);
    });
    replayed = true;
    expect(live.size).toBe(3);
    try {
      setImage(registry, 'web', 'ramp.dev/demo-app:2');
      await eventually(() => {
        const old = oldRS && registry.tryGet(T.replicasets, NS, oldRS.metadata.name ?? '');
        return (
          rolloutComplete(dep()) &&
          imageOf(dep()!) === 'ramp.dev/demo-app:2' &&
          !!old &&
          specReplicas(old) === 0 &&
          statusOf(old).replicas === 0
        );
      }, 'the rollout to v2');
    } finally {
      watch.stop();
    }
    expect({ minReady, maxPods }).toEqual({ minReady: 3, maxPods: 4 });
    expect(history.length).toBeGreaterThan(10);

    const newRS = rsFor('ramp.dev/demo-app:2');
    expect(annotation(newRS, REVISION)).toBe('2');
    expect(annotation(registry.get(T.replicasets, NS, oldRS?.metadata.name ?? ''), REVISION)).toBe('1');
    expect(annotation(dep(), REVISION)).toBe('2');
    expect(statusOf(dep())).toMatchObject({
      observedGeneration: 2,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
    });
    expect(statusOf(dep()).unavailableReplicas ?? 0).toBe(0);
    expect((statusOf(dep()).conditions ?? []).find((c) => c.type === 'Progressing')).toMatchObject({
      status: 'True',
      reason: 'NewReplicaSetAvailable',
    });
    const scaling = eventMessages(registry, NS, 'ScalingReplicaSet');
    expect(scaling).toContain(`Scaled up replica set ${newRS?.metadata.name} from 0 to 1`);
    expect(scaling).toContain(`Scaled down replica set ${oldRS?.metadata.name} from 3 to 2`);
    expect(scaling).toContain(`Scaled down replica set ${oldRS?.metadata.name} from 1 to 0`);
    expect(replicaSetsOf(registry, NS, d.metadata.uid ?? '')).toHaveLength(2);
  });

  it('undo (as kubectl does it) reuses the old ReplicaSet at revision 3', async () => {
    const { registry } = cluster;
    sim = new PodSimulator(registry).start();
    const d = await deployAndWait({ replicas: 2 });
    const first = rsFor('ramp.dev/demo-app:1');
    await rollTo('ramp.dev/demo-app:2');
    const second = rsFor('ramp.dev/demo-app:2');

    kubectlUndo(registry, 'web');
    await eventually(
      () =>
        rolloutComplete(dep()) &&
        imageOf(dep()!) === 'ramp.dev/demo-app:1' &&
        specReplicas(registry.get(T.replicasets, NS, second?.metadata.name ?? '')) === 0,
      'the undo',
    );
    const all = replicaSetsOf(registry, NS, d.metadata.uid ?? '');
    expect(all.map((rs) => rs.metadata.name).sort()).toEqual([first?.metadata.name, second?.metadata.name].sort());
    const reused = registry.get(T.replicasets, NS, first?.metadata.name ?? '');
    expect(reused.metadata.uid).toBe(first?.metadata.uid);
    expect(annotation(reused, REVISION)).toBe('3');
    expect(annotation(reused, 'deployment.kubernetes.io/revision-history')).toBe('1');
    expect(annotation(dep(), REVISION)).toBe('3');
    expect(specReplicas(reused)).toBe(2);
    expect(statusOf(dep())).toMatchObject({ updatedReplicas: 2, availableReplicas: 2, replicas: 2 });
  });

  it('prunes ReplicaSets beyond revisionHistoryLimit', async () => {
    const { registry } = cluster;
    sim = new PodSimulator(registry).start();
    const d = await deployAndWait({ replicas: 1, revisionHistoryLimit: 1 });
    for (const v of [2, 3, 4]) await rollTo(`ramp.dev/demo-app:${v}`);
    await eventually(() => replicaSetsOf(registry, NS, d.metadata.uid ?? '').length === 2, 'two ReplicaSets left');
    const left = replicaSetsOf(registry, NS, d.metadata.uid ?? '');
    expect(left.map(imageOf).sort()).toEqual(['ramp.dev/demo-app:3', 'ramp.dev/demo-app:4']);
    expect(left.map((rs) => annotation(rs, REVISION)).sort()).toEqual(['3', '4']);
  });

  it('reports ProgressDeadlineExceeded when pods never become ready', async () => {
    const { registry } = cluster;
    sim = new PodSimulator(registry, { ready: false }).start();
    registry.create(T.deployments, NS, deploymentBody('web', { replicas: 2, progressDeadlineSeconds: 1 }));
    await eventually(
      () =>
        (statusOf(dep()).conditions ?? []).some(
          (c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded',
        ),
      'the deadline',
      8000,
    );
    const rs = replicaSetsOf(registry, NS, dep()?.metadata.uid ?? '')[0];
    const progressing = (statusOf(dep()).conditions ?? []).find((c) => c.type === 'Progressing');
    expect(progressing).toMatchObject({
      status: 'False',
      reason: 'ProgressDeadlineExceeded',
      message: `ReplicaSet "${rs.metadata.name}" has timed out progressing.`,
    });
    expect((statusOf(dep()).conditions ?? []).find((c) => c.type === 'Available')).toMatchObject({
      status: 'False',
      reason: 'MinimumReplicasUnavailable',
    });
    expect(statusOf(dep())).toMatchObject({
      replicas: 2,
      updatedReplicas: 2,
      availableReplicas: 0,
      unavailableReplicas: 2,
    });
  });

  it('Recreate: no new pod exists while an old one does', async () => {
    const { registry } = cluster;
    sim = new PodSimulator(registry, { readyDelayMs: 5 }).start();
    await deployAndWait({ replicas: 3, strategy: { type: 'Recreate' } });
    const images = new Map<string, string>();
    let overlap = false;
    const watch = registry.watch(T.pods, { namespace: NS }, (e) => {
      if (e.type === 'DELETED') images.delete(e.object.metadata.uid ?? '');
      else
        images.set(
          e.object.metadata.uid ?? '',
          (e.object.spec as { containers: { image: string }[] }).containers[0].image,
        );
      if (new Set(images.values()).size > 1) overlap = true;
    });
    try {
      await rollTo('ramp.dev/demo-app:2');
    } finally {
      watch.stop();
    }
    expect(overlap).toBe(false);
    expect(statusOf(dep())).toMatchObject({ replicas: 3, updatedReplicas: 3, availableReplicas: 3 });
  });

  it('pause holds a template change back; resume rolls it out', async () => {
    const { registry } = cluster;
    sim = new PodSimulator(registry).start();
    const d = await deployAndWait({ replicas: 2 });
    registry.patch(T.deployments, NS, 'web', 'merge', { spec: { paused: true } });
    await eventually(
      () =>
        (statusOf(dep()).conditions ?? []).some(
          (c) => c.type === 'Progressing' && c.reason === 'DeploymentPaused' && c.status === 'Unknown',
        ),
      'paused',
    );
    setImage(registry, 'web', 'ramp.dev/demo-app:2');
    await eventually(
      () => (statusOf(dep()).observedGeneration ?? 0) >= (dep()?.metadata.generation ?? 0),
      'the change observed',
    );
    expect(replicaSetsOf(registry, NS, d.metadata.uid ?? '')).toHaveLength(1);
    registry.patch(T.deployments, NS, 'web', 'merge', { spec: { paused: false } });
    await eventually(() => rolloutComplete(dep()) && rsFor('ramp.dev/demo-app:2') !== undefined, 'the resumed rollout');
    expect(annotation(rsFor('ramp.dev/demo-app:2'), REVISION)).toBe('2');
  });

  it('scales proportionally mid-rollout', async () => {
    const { registry } = cluster;
    sim = new PodSimulator(registry).start();
    await deployAndWait({
      replicas: 10,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } },
    });
    // New pods will never be ready: the rollout stalls with old 8, new 5 (Kubernetes' documented example).
    sim.stop();
    setImage(registry, 'web', 'ramp.dev/demo-app:2');
    const sizes = () => [
      specReplicas(rsFor('ramp.dev/demo-app:1')!),
      specReplicas(rsFor('ramp.dev/demo-app:2') ?? rsFor('ramp.dev/demo-app:1')!),
    ];
    await eventually(
      () => rsFor('ramp.dev/demo-app:2') !== undefined && sizes()[0] === 8 && sizes()[1] === 5,
      'old 8, new 5',
    );
    registry.patch(T.deployments, NS, 'web', 'merge', { spec: { replicas: 15 } });
    await eventually(() => sizes()[0] === 11 && sizes()[1] === 7, 'old 11, new 7');
    expect(eventMessages(registry, NS, 'ScalingReplicaSet')).toEqual(
      expect.arrayContaining([`Scaled up replica set ${rsFor('ramp.dev/demo-app:1')?.metadata.name} from 8 to 11`]),
    );
  });

  it('writes nothing once a deployment is rolled out', async () => {
    // Resync every 50 ms, so that a quiet period sees many reconciles.
    await cluster.close();
    cluster = startCluster(50);
    const { registry } = cluster;
    sim = new PodSimulator(registry).start();
    registry.create(T.deployments, NS, deploymentBody('web', { replicas: 3 }));
    await eventually(() => rolloutComplete(dep()), 'rolled out');
    await new Promise((r) => setTimeout(r, 100));
    const before = registry.store.currentResourceVersion();
    const processed = cluster.manager.deployments.reconciles + cluster.manager.replicaSets.reconciles;
    await new Promise((r) => setTimeout(r, 600));
    expect(cluster.manager.deployments.reconciles + cluster.manager.replicaSets.reconciles).toBeGreaterThan(
      processed + 10,
    );
    expect(registry.store.currentResourceVersion()).toBe(before);
  });
});
