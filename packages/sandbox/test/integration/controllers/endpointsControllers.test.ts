import type { KubeObject } from '../../../src/apiServer/types';
import { eventually, startCluster, T, type TestCluster } from './cluster';
import { bindPod, finishDeletion, NODE_NAME, setPodReady } from './podSimulator';

const NS = 'default';

function pod(name: string, labels: Record<string, string> = { app: 'web' }): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'ramp.dev/demo-app:1',
          ports: [
            { name: 'http', containerPort: 8080 },
            { name: 'metrics', containerPort: 9090 },
          ],
        },
      ],
    },
  };
}

function service(name: string, spec: object): object {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, labels: { team: 'ramp' } }, spec };
}

type Slice = KubeObject & {
  endpoints: {
    addresses: string[];
    conditions: { ready: boolean; serving: boolean; terminating: boolean };
    targetRef: { name: string };
    nodeName?: string;
  }[];
  ports?: { name: string; port: number; protocol: string }[];
};

describe('Endpoints and EndpointSlice controllers', () => {
  let cluster: TestCluster;

  beforeEach(() => {
    cluster = startCluster(50);
  });

  afterEach(async () => {
    await cluster.close();
    expect(cluster.errors).toEqual([]);
  });

  const endpoints = (name = 'web') =>
    cluster.registry.tryGet(T.endpoints, NS, name) as (KubeObject & { subsets?: object[] }) | undefined;
  const slices = (name = 'web') =>
    cluster.registry
      .list(T.endpointslices, { namespace: NS })
      .items.filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === name) as Slice[];
  const ipOf = (o: KubeObject) => (o.status as { podIP: string }).podIP;

  /** A bound pod with an IP, ready or not (what the kubelet reports once its process runs). */
  function runningPod(name: string, ready: boolean, labels?: Record<string, string>): KubeObject {
    const p = cluster.registry.create(T.pods, NS, pod(name, labels)).object;
    const bound = bindPod(cluster.registry, p);
    return setPodReady(cluster.registry, bound ?? p, ready) ?? p;
  }

  /** The slice endpoints as `name:ready/serving/terminating`, sorted. */
  const sliceView = () =>
    slices()
      .flatMap((s) => s.endpoints)
      .map((e) => `${e.targetRef.name}:${e.conditions.ready}/${e.conditions.serving}/${e.conditions.terminating}`)
      .sort();

  it('follow readiness and deletion, resolving a named targetPort', async () => {
    const { registry } = cluster;
    const svc = registry.create(
      T.services,
      NS,
      service('web', { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] }),
    ).object;
    const a = runningPod('web-a', true);
    const b = runningPod('web-b', false);
    runningPod('other', true, { app: 'other' });

    await eventually(() => sliceView().join() === 'web-a:true/true/false,web-b:false/false/false', 'a ready, b not');
    const ref = (p: KubeObject) => ({ kind: 'Pod', namespace: NS, name: p.metadata.name, uid: p.metadata.uid });
    expect(endpoints()?.subsets).toEqual([
      {
        addresses: [{ ip: ipOf(a), nodeName: NODE_NAME, targetRef: ref(a) }],
        notReadyAddresses: [{ ip: ipOf(b), nodeName: NODE_NAME, targetRef: ref(b) }],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      },
    ]);
    expect(endpoints()?.metadata.labels).toEqual({ team: 'ramp' });
    const [slice] = slices();
    expect(slices()).toHaveLength(1);
    expect(slice.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
    expect(slice.metadata.labels).toEqual({
      team: 'ramp',
      'kubernetes.io/service-name': 'web',
      'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
    });
    expect(slice.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'v1',
        kind: 'Service',
        name: 'web',
        uid: svc.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(slice.addressType).toBe('IPv4');
    expect(slice.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    expect(slice.endpoints.find((e) => e.targetRef.name === 'web-a')).toMatchObject({
      addresses: [ipOf(a)],
      nodeName: NODE_NAME,
      targetRef: ref(a),
    });

    setPodReady(registry, b, true);
    await eventually(() => sliceView().join() === 'web-a:true/true/false,web-b:true/true/false', 'both ready');
    expect(endpoints()?.subsets?.[0]).toMatchObject({ addresses: [{ ip: ipOf(a) }, { ip: ipOf(b) }] });
    expect(endpoints()?.subsets?.[0]).not.toHaveProperty('notReadyAddresses');

    setPodReady(registry, a, false);
    await eventually(() => sliceView().join() === 'web-a:false/false/false,web-b:true/true/false', 'a not ready again');
    expect(endpoints()?.subsets?.[0]).toMatchObject({
      addresses: [{ ip: ipOf(b) }],
      notReadyAddresses: [{ ip: ipOf(a) }],
    });

    // A bound pod's deletion is graceful: while it terminates, the slice says so and Endpoints drop it.
    registry.delete(T.pods, NS, 'web-b');
    await eventually(() => sliceView().join() === 'web-a:false/false/false,web-b:false/true/true', 'b terminating');
    expect(endpoints()?.subsets).toEqual([
      {
        notReadyAddresses: [expect.objectContaining({ ip: ipOf(a) })],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      },
    ]);
    finishDeletion(registry, registry.get(T.pods, NS, 'web-b'));
    await eventually(() => sliceView().join() === 'web-a:false/false/false', 'b gone');
  });

  it('resolves numeric target ports, several ports, and keeps an empty placeholder slice without endpoints', async () => {
    const { registry } = cluster;
    registry.create(
      T.services,
      NS,
      service('web', {
        selector: { app: 'web' },
        ports: [
          { name: 'http', port: 80, targetPort: 'http' },
          { name: 'metrics', port: 9100, targetPort: 9090 },
        ],
      }),
    );
    await eventually(() => slices().length === 1 && endpoints() !== undefined, 'placeholder slice');
    expect(slices()[0].endpoints).toEqual([]);
    expect(slices()[0].ports).toBeUndefined();
    expect(endpoints()?.subsets).toBeUndefined();
    const a = runningPod('web-a', true);
    await eventually(() => slices()[0]?.endpoints.length === 1, 'one endpoint');
    expect(slices()).toHaveLength(1);
    expect(slices()[0].ports).toEqual([
      { name: 'http', port: 8080, protocol: 'TCP' },
      { name: 'metrics', port: 9090, protocol: 'TCP' },
    ]);
    expect(endpoints()?.subsets).toEqual([
      {
        addresses: [expect.objectContaining({ ip: ipOf(a) })],
        ports: [
          { name: 'http', port: 8080, protocol: 'TCP' },
          { name: 'metrics', port: 9090, protocol: 'TCP' },
        ],
      },
    ]);
  });

  it('leaves a Service without a selector alone', async () => {
    const { registry } = cluster;
    registry.create(T.services, NS, service('external', { ports: [{ port: 80 }] }));
    const manual = registry.create(T.endpoints, NS, {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'external' },
      subsets: [{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }] }],
    }).object;
    runningPod('web-a', true);
    registry.create(T.services, NS, service('web', { selector: { app: 'web' }, ports: [{ port: 80 }] }));
    await eventually(
      () => slices('web').length === 1 && slices('web')[0].endpoints.length === 1,
      'the selector service is served',
    );
    expect(slices('external')).toEqual([]);
    expect(endpoints('external')?.metadata.resourceVersion).toBe(manual.metadata.resourceVersion);
  });

  it('writes nothing in a steady state, and repairs a slice someone else changed', async () => {
    const { registry } = cluster;
    registry.create(
      T.services,
      NS,
      service('web', { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] }),
    );
    runningPod('web-a', true);
    runningPod('web-b', false);
    await eventually(() => sliceView().length === 2 && (endpoints()?.subsets?.length ?? 0) === 1, 'endpoints');
    await new Promise((r) => setTimeout(r, 100));
    const before = registry.store.currentResourceVersion();
    const processed = cluster.manager.endpointSlices.reconciles + cluster.manager.endpoints.reconciles;
    // Several resyncs (every 50 ms) go by.
    await new Promise((r) => setTimeout(r, 500));
    expect(cluster.manager.endpointSlices.reconciles + cluster.manager.endpoints.reconciles).toBeGreaterThan(
      processed + 10,
    );
    expect(registry.store.currentResourceVersion()).toBe(before);

    const [slice] = slices();
    registry.patch(T.endpointslices, NS, slice.metadata.name ?? '', 'merge', { endpoints: [] });
    await eventually(() => sliceView().length === 2, 'the slice repaired');
    registry.delete(T.endpointslices, NS, slice.metadata.name ?? '');
    await eventually(() => sliceView().length === 2, 'the slice recreated');
  });

  it('removes the Endpoints and slices with the Service', async () => {
    const { registry } = cluster;
    registry.create(T.services, NS, service('web', { selector: { app: 'web' }, ports: [{ port: 80 }] }));
    runningPod('web-a', true);
    await eventually(() => slices().length === 1 && endpoints() !== undefined, 'endpoints');
    registry.delete(T.services, NS, 'web');
    await eventually(() => slices().length === 0 && endpoints() === undefined, 'all gone');
  });
});
