/**
 * Real kubectl against the sandbox API server: 1.32/1.33 send typed creates as Kubernetes protobuf, and
 * what they store must equal what kubectl 1.31 (JSON) stores; 1.27/1.28 read OpenAPI v2 (protobuf) to
 * detect server-side field validation before `apply`.
 */
import { startApiServer, type ApiHarness } from '../../helpers/apiServerHarness';
import { kubectl, type KubectlResult } from '../../helpers/kubectl';
import { resource } from '../../../src/apiServer/resources';
import type { KubeObject } from '../../../src/apiServer/types';

const binary = (version: string): string => `/usr/lib/google-cloud-sdk/bin/kubectl.${version}`;

const CREATES = [
  ['create', 'namespace', 'p'],
  ['create', 'service', 'clusterip', 'web', '-n', 'p', '--tcp=80:8080'],
  ['create', 'deployment', 'web', '-n', 'p', '--image=ramp.dev/demo-app:v1', '--replicas=0'],
  ['create', 'configmap', 'c', '-n', 'p', '--from-literal=k=v'],
  ['create', 'secret', 'generic', 's', '-n', 'p', '--from-literal=a=b'],
];

const STORED: [string, string | undefined, string][] = [
  ['namespaces', undefined, 'p'],
  ['services', 'p', 'web'],
  ['deployments', 'p', 'web'],
  ['configmaps', 'p', 'c'],
  ['secrets', 'p', 's'],
];

function ok(r: KubectlResult, what: string): KubectlResult {
  if (r.code !== 0)
    throw new Error(
      `${what} exited ${r.code}: ${r.stderr
        .split('\n')
        .filter((l) => !/^I\d{4}/.test(l))
        .join('\n')}`,
    );
  return r;
}

/** A stored object without what differs between any two creates (identity, time, allocated IPs). */
function comparable(obj: KubeObject): unknown {
  const o = structuredClone(obj) as KubeObject & { spec?: Record<string, unknown> };
  delete o.metadata.uid;
  delete o.metadata.creationTimestamp;
  delete o.metadata.resourceVersion;
  for (const m of o.metadata.managedFields ?? []) delete m.time;
  if (o.spec) {
    delete o.spec.clusterIP;
    delete o.spec.clusterIPs;
  }
  return o;
}

async function createAll(h: ApiHarness, version: string, sentAs: RegExp): Promise<Record<string, unknown>> {
  for (const args of CREATES) {
    const r = ok(
      await kubectl(h.kubeconfig, [...args, '-v=7'], { binary: binary(version) }),
      `kubectl ${version} ${args.join(' ')}`,
    );
    // -v=7 logs the request headers: proof of which encoding the body was sent in.
    expect(r.stderr).toMatch(sentAs);
  }
  const stored: Record<string, unknown> = {};
  for (const [plural, ns, name] of STORED) stored[plural] = comparable(h.registry.get(resource(plural), ns, name));
  return stored;
}

describe('typed creates from kubectl 1.32 and 1.33 (protobuf bodies)', () => {
  let reference: Record<string, unknown>;
  let h: ApiHarness | undefined;

  beforeAll(async () => {
    const jsonServer = await startApiServer();
    try {
      reference = await createAll(jsonServer, '1.31', /Content-Type: application\/json/);
    } finally {
      await jsonServer.close();
    }
  });

  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  test.each(['1.32', '1.33'])(
    'kubectl %s: create namespace/service/deployment/configmap/secret succeed and store what kubectl 1.31 stores',
    async (version) => {
      h = await startApiServer();
      const stored = await createAll(h, version, /Content-Type: application\/vnd\.kubernetes\.protobuf/);
      expect(stored).toStrictEqual(reference);
      // Spot checks that the comparison is about something: zeros that JSON would keep are kept.
      expect(stored.deployments).toMatchObject({
        spec: {
          replicas: 0,
          template: { spec: { containers: [{ name: 'demo-app', image: 'ramp.dev/demo-app:v1' }] } },
        },
      });
      expect(stored.services).toMatchObject({
        spec: { type: 'ClusterIP', ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] },
      });
      expect(stored.secrets).toMatchObject({ data: { a: Buffer.from('b').toString('base64') }, type: 'Opaque' });
    },
  );

  test.each(['1.32', '1.33'])(
    'kubectl %s: other typed requests sent as protobuf work too (auth can-i)',
    async (version) => {
      h = await startApiServer();
      const r = ok(
        await kubectl(h.kubeconfig, ['auth', 'can-i', 'create', 'deployments', '-n', 'default', '-v=7'], {
          binary: binary(version),
        }),
        'auth can-i',
      );
      expect(r.stderr).toMatch(/Content-Type: application\/vnd\.kubernetes\.protobuf/);
      expect(r.stdout.trim()).toBe('yes');
    },
  );
});

const MANIFEST = `apiVersion: v1
kind: ConfigMap
metadata: { name: c, namespace: default }
data: { k: v }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: default }
spec:
  replicas: 0
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec: { containers: [ { name: app, image: ramp.dev/demo-app:v1 } ] }
`;

describe('kubectl 1.27 and 1.28 apply (server-side field validation found through OpenAPI v2)', () => {
  let h: ApiHarness | undefined;

  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  test.each(['1.27', '1.28'])(
    'kubectl %s apply -f creates a ConfigMap and a Deployment, asking for strict validation',
    async (version) => {
      h = await startApiServer();
      const r = ok(
        await kubectl(h.kubeconfig, ['apply', '-f', '-'], { binary: binary(version), input: MANIFEST }),
        `kubectl ${version} apply`,
      );
      expect(r.stdout).toContain('configmap/c created');
      expect(r.stdout).toContain('deployment.apps/web created');
      const log = h.server.requestLog.map(
        (x) =>
          `${x.method} ${x.url.split('?')[0]} ${x.status} ${x.url.includes('fieldValidation=Strict') ? 'strict' : ''}`,
      );
      expect(log).toContain('GET /openapi/v2 200 ');
      expect(log).toContain('POST /api/v1/namespaces/default/configmaps 201 strict');
      expect(log).toContain('POST /apis/apps/v1/namespaces/default/deployments 201 strict');
      expect(h.registry.get(resource('configmaps'), 'default', 'c').data).toEqual({ k: 'v' });
      expect(h.registry.get(resource('deployments'), 'default', 'web').spec).toMatchObject({ replicas: 0 });
      // Strict means strict: an unknown field is refused by the server, not dropped.
      const bad = await kubectl(h.kubeconfig, ['apply', '-f', '-'], {
        binary: binary(version),
        input: MANIFEST.replace('replicas: 0', 'replicas: 0\n  bogusField: 1'),
      });
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toMatch(/unknown field "spec\.bogusField"/);
    },
  );

  test.each(['1.27', '1.28'])(
    'kubectl %s apply -f creates an HTTPRoute (the CRD is in the v2 document too)',
    async (version) => {
      h = await startApiServer();
      const route =
        'apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: { name: r, namespace: default }\nspec:\n  rules:\n  - backendRefs: [ { name: web, port: 80 } ]\n';
      const r = ok(
        await kubectl(h.kubeconfig, ['apply', '-f', '-'], { binary: binary(version), input: route }),
        `kubectl ${version} apply httproute`,
      );
      expect(r.stdout).toContain('httproute.gateway.networking.k8s.io/r created');
      expect(
        h.server.requestLog.some(
          (x) => x.method === 'POST' && x.url.includes('/httproutes?') && x.url.includes('fieldValidation=Strict'),
        ),
      ).toBe(true);
    },
  );
});
