/**
 * Real kubectl against the API server with the controllers running (a stand-in kubelet makes pods
 * ready): rollout status, set image, history, undo, scale, endpointslices, cascading deletes.
 */
import { existsSync } from 'node:fs';
import YAML from 'yaml';
import { resourceForKind } from '../../../src/apiServer/resources';
import type { KubeObject } from '../../../src/apiServer/types';
import { ControllerManager } from '../../../src/controllers/controllerManager';
import { startApiServer, type ApiHarness } from '../../helpers/apiServerHarness';
import { kubectl } from '../../helpers/kubectl';
import { eventually, T } from './cluster';
import { PodSimulator } from './podSimulator';

function manifest(ns: string): string {
  return `
apiVersion: v1
kind: Namespace
metadata: {name: ${ns}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${ns}}
spec:
  replicas: 2
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: ramp.dev/demo-app:v1
        ports: [{name: http, containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: ${ns}}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
`;
}

describe('kubectl with the sandbox controllers', () => {
  let h: ApiHarness;
  let manager: ControllerManager;
  let sim: PodSimulator;

  beforeAll(async () => {
    h = await startApiServer();
    manager = new ControllerManager({ registry: h.registry, resyncMs: 1000 });
    manager.start();
    sim = new PodSimulator(h.registry, { readyDelayMs: 10 }).start();
  });

  afterAll(async () => {
    sim?.stop();
    await manager?.close();
    await h?.close();
  });

  const k = async (args: string[], opts: { input?: string; binary?: string } = {}) => {
    const r = await kubectl(h.kubeconfig, args, { ...opts, timeoutMs: 30_000 });
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };

  it('rollout status, set image, history, undo, scale, endpointslices, delete', async () => {
    expect(await k(['apply', '-f', '-'], { input: manifest('shop') })).toContain('deployment.apps/web created');
    expect(await k(['rollout', 'status', 'deployment/web', '-n', 'shop', '--timeout=20s'])).toContain(
      'deployment "web" successfully rolled out',
    );

    const slices = await k(['get', 'endpointslices', '-n', 'shop']);
    expect(slices).toMatch(/web-[a-z0-9]{5}\s+IPv4\s+8080\s+127\.1\.\d+\.\d+,127\.1\.\d+\.\d+/);
    expect(await k(['get', 'endpoints', 'web', '-n', 'shop'])).toMatch(
      /web\s+127\.1\.\d+\.\d+:8080,127\.1\.\d+\.\d+:8080/,
    );

    await k(['set', 'image', 'deployment/web', 'web=ramp.dev/demo-app:v2', '-n', 'shop']);
    expect(await k(['rollout', 'status', 'deployment/web', '-n', 'shop', '--timeout=20s'])).toContain(
      'successfully rolled out',
    );
    const history = await k(['rollout', 'history', 'deployment/web', '-n', 'shop']);
    expect(history).toMatch(/^1\s/m);
    expect(history).toMatch(/^2\s/m);

    expect(await k(['rollout', 'undo', 'deployment/web', '-n', 'shop'])).toContain('rolled back');
    expect(await k(['rollout', 'status', 'deployment/web', '-n', 'shop', '--timeout=20s'])).toContain(
      'successfully rolled out',
    );
    expect(
      await k([
        'get',
        'deployment',
        'web',
        '-n',
        'shop',
        '-o',
        'jsonpath={.spec.template.spec.containers[0].image} {.metadata.annotations.deployment\\.kubernetes\\.io/revision}',
      ]),
    ).toBe('ramp.dev/demo-app:v1 3');
    const rs = await k(['get', 'rs', '-n', 'shop', '--no-headers']);
    expect(rs.trim().split('\n')).toHaveLength(2);

    await k(['scale', 'deployment/web', '--replicas=4', '-n', 'shop']);
    expect(await k(['rollout', 'status', 'deployment/web', '-n', 'shop', '--timeout=20s'])).toContain(
      'successfully rolled out',
    );
    expect(await k(['get', 'deployment', 'web', '-n', 'shop', '--no-headers'])).toMatch(/^web\s+4\/4\s+4\s+4\s/);

    // kubectl waits for the deletion to finish; the garbage collector takes the ReplicaSets and pods.
    expect(await k(['delete', 'deployment', 'web', '-n', 'shop'])).toContain('deleted');
    await eventually(
      () =>
        h.registry.list(T.pods, { namespace: 'shop' }).items.length === 0 &&
        h.registry.list(T.replicasets, { namespace: 'shop' }).items.length === 0,
      'pods and ReplicaSets gone',
    );
    expect(await k(['delete', 'namespace', 'shop', '--timeout=20s'])).toContain('deleted');
    expect(h.registry.tryGet(T.namespaces, undefined, 'shop')).toBeUndefined();
  });

  const versions = ['1.27', '1.28', '1.29', '1.30', '1.31', '1.32', '1.33']
    .map((v) => ({ v, bin: `/usr/lib/google-cloud-sdk/bin/kubectl.${v}` }))
    .filter((x) => existsSync(x.bin));
  it.each(versions)('kubectl $v: rollout status and undo', async ({ v, bin }) => {
    const ns = `v${v.replace('.', '-')}`;
    // Created in-process: older kubectl's create/apply trip on API server gaps (OpenAPI v2), not on controllers.
    for (const doc of YAML.parseAllDocuments(manifest(ns))) {
      const o = doc.toJSON() as KubeObject;
      const t = resourceForKind(o.apiVersion, o.kind);
      if (t) h.registry.create(t, o.metadata.namespace, o);
    }
    expect(await k(['rollout', 'status', 'deployment/web', '-n', ns, '--timeout=20s'], { binary: bin })).toContain(
      'successfully rolled out',
    );
    await k(['set', 'image', 'deployment/web', 'web=ramp.dev/demo-app:v2', '-n', ns], { binary: bin });
    expect(await k(['rollout', 'status', 'deployment/web', '-n', ns, '--timeout=20s'], { binary: bin })).toContain(
      'successfully rolled out',
    );
    expect(await k(['rollout', 'undo', 'deployment/web', '-n', ns], { binary: bin })).toContain('rolled back');
    expect(await k(['rollout', 'status', 'deployment/web', '-n', ns, '--timeout=20s'], { binary: bin })).toContain(
      'successfully rolled out',
    );
    expect(
      await k(['get', 'deployment', 'web', '-n', ns, '-o', 'jsonpath={.spec.template.spec.containers[0].image}'], {
        binary: bin,
      }),
    ).toBe('ramp.dev/demo-app:v1');
    expect(await k(['delete', 'namespace', ns, '--timeout=20s'], { binary: bin })).toContain('deleted');
  });
});
