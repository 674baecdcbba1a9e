/**
 * Real kubectl (every installed minor version) against the API server alone: discovery, server-side
 * field validation, Tables, patches, watches, and errors as a cluster reports them.
 */
import { existsSync } from 'node:fs';
import { startApiServer, type ApiHarness } from '../../helpers/apiServerHarness';
import { kubectl, kubectlStream } from '../../helpers/kubectl';
import { resource } from '../../../src/apiServer/resources';
import { waitFor } from '../../../src/util/ports';

const MANIFEST = `
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: ramp.dev/demo-app:v1
        ports: [{containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: shop}
spec:
  parentRefs: [{name: sandbox}]
  hostnames: [web.shop.example]
  rules:
  - backendRefs: [{name: web, port: 80}]
`;

describe('kubectl against the sandbox API server', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await startApiServer();
  });
  afterAll(async () => {
    await h.close();
  });

  it('applies manifests with server-side strict validation and without OpenAPI v2', async () => {
    const r = await kubectl(h.kubeconfig, ['apply', '-f', '-'], { input: MANIFEST });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('deployment.apps/web created');
    expect(r.stdout).toContain('httproute.gateway.networking.k8s.io/web created');
    const posts = h.server.requestLog.filter((x) => x.method === 'POST' && x.url.includes('/deployments'));
    expect(posts[0].url).toContain('fieldValidation=Strict');
    expect(h.server.requestLog.some((x) => x.url.startsWith('/openapi/v2'))).toBe(false);
    const again = await kubectl(h.kubeconfig, ['apply', '-f', '-'], { input: MANIFEST });
    expect(again.stdout).toContain('deployment.apps/web unchanged');
    expect(again.stdout).toContain('service/web unchanged');
  });

  it('refuses an unknown field and an invalid value with the Status a cluster sends', async () => {
    const typo = MANIFEST.replace(
      'image: ramp.dev/demo-app:v1',
      'image: ramp.dev/demo-app:v1\n        imagePullPolcy: Always',
    ).replace('name: web, namespace: shop}\nspec:\n  replicas', 'name: web2, namespace: shop}\nspec:\n  replicas');
    const r = await kubectl(h.kubeconfig, ['apply', '-f', '-'], { input: typo });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      'strict decoding error: unknown field "spec.template.spec.containers[0].imagePullPolcy"',
    );
    const bad = await kubectl(h.kubeconfig, ['apply', '-f', '-'], {
      input: MANIFEST.replace('replicas: 2', 'replicas: -3').replace(
        '{name: web, namespace: shop}\nspec:\n  replicas',
        '{name: web3, namespace: shop}\nspec:\n  replicas',
      ),
    });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain(
      'The Deployment "web3" is invalid: spec.replicas: Invalid value: -3: must be greater than or equal to 0',
    );
    const malformed = await kubectl(h.kubeconfig, ['apply', '-f', '-'], {
      input: 'apiVersion: v1\nkind: Service\nmetadata: {name: x\n',
    });
    expect(malformed.code).not.toBe(0);
    expect(h.registry.tryGet(resource('deployments'), 'shop', 'web2')).toBeUndefined();
  });

  it('prints server-side tables with wide columns', async () => {
    const r = await kubectl(h.kubeconfig, ['get', 'deploy,svc,httproute', '-n', 'shop', '-o', 'wide']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR/);
    expect(r.stdout).toMatch(/deployment\.apps\/web\s+0\/2\s+0\s+0\s+\S+\s+web\s+ramp\.dev\/demo-app:v1\s+app=web/);
    expect(r.stdout).toMatch(/service\/web\s+ClusterIP\s+10\.96\.\d+\.\d+\s+<none>\s+80\/TCP/);
    expect(r.stdout).toMatch(/httproute\.gateway\.networking\.k8s\.io\/web\s+\["web\.shop\.example"\]/);
    const missing = await kubectl(h.kubeconfig, ['get', 'deploy', 'nope', '-n', 'shop']);
    expect(missing.stderr).toContain('Error from server (NotFound): deployments.apps "nope" not found');
  });

  it('patches with merge, JSON and strategic patches and scales', async () => {
    expect(
      (
        await kubectl(h.kubeconfig, [
          'patch',
          'deploy',
          'web',
          '-n',
          'shop',
          '--type=merge',
          '-p',
          '{"spec":{"replicas":3}}',
        ])
      ).stdout,
    ).toContain('patched');
    expect(
      (
        await kubectl(h.kubeconfig, [
          'patch',
          'deploy',
          'web',
          '-n',
          'shop',
          '--type=json',
          '-p',
          '[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"ramp.dev/demo-app:v2"}]',
        ])
      ).stdout,
    ).toContain('patched');
    expect((await kubectl(h.kubeconfig, ['set', 'env', 'deploy/web', '-n', 'shop', 'MODE=fast'])).stdout).toContain(
      'env updated',
    );
    expect((await kubectl(h.kubeconfig, ['scale', 'deploy/web', '-n', 'shop', '--replicas=4'])).stdout).toContain(
      'scaled',
    );
    const d = h.registry.get(resource('deployments'), 'shop', 'web') as unknown as {
      spec: { replicas: number; template: { spec: { containers: { image: string; env: { name: string }[] }[] } } };
    };
    expect(d.spec.replicas).toBe(4);
    expect(d.spec.template.spec.containers[0].image).toBe('ramp.dev/demo-app:v2');
    expect(d.spec.template.spec.containers[0].env.map((e) => e.name)).toEqual(['MODE']);
  });

  it('streams `get -w` as objects change', async () => {
    const w = kubectlStream(h.kubeconfig, ['get', 'svc', '-n', 'shop', '-w']);
    await waitFor(() => /web\s+ClusterIP/.test(w.output()), 'the initial list', 10_000);
    await kubectl(h.kubeconfig, ['create', 'service', 'clusterip', 'extra', '-n', 'shop', '--tcp=81:8081']);
    await waitFor(() => /extra\s+ClusterIP/.test(w.output()), 'the new service in the watch', 10_000);
    await w.stop();
  });

  const versions = ['1.27', '1.28', '1.29', '1.30', '1.31', '1.32', '1.33']
    .map((v) => ({ v, bin: `/usr/lib/google-cloud-sdk/bin/kubectl.${v}` }))
    .filter((x) => existsSync(x.bin));
  it.each(versions)('works with kubectl $v (get, apply, delete)', async ({ v, bin }) => {
    const name = `cm-${v.replace('.', '-')}`;
    const cm = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: shop}\ndata: {k: v}\n`;
    const applied = await kubectl(h.kubeconfig, ['apply', '-f', '-'], { input: cm, binary: bin });
    expect(applied.stderr).toBe('');
    const got = await kubectl(h.kubeconfig, ['get', 'cm', name, '-n', 'shop'], { binary: bin });
    expect(got.stdout).toMatch(new RegExp(`${name}\\s+1\\s+`));
    expect(
      (await kubectl(h.kubeconfig, ['apply', '-f', '-'], { input: cm.replace('k: v', 'k: w'), binary: bin })).stdout,
    ).toContain('configured');
    expect((await kubectl(h.kubeconfig, ['delete', 'cm', name, '-n', 'shop'], { binary: bin })).stdout).toContain(
      'deleted',
    );
  });
});
