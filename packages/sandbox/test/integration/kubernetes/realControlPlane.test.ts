/**
 * What only the real control plane shows (this file runs in the kubernetes lane only): the binaries'
 * own version, the node registered and kept alive by the sandbox's kubelet with its own credentials (Node
 * authorizer, NodeRestriction, a renewed Lease), pods on 10.244.x.y that `kubectl logs` reaches through
 * kube-apiserver and the kubelet's server, and the service-account token, CA and namespace that every pod
 * finds where in-cluster clients look, good for the real API server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resource } from '../../../src/apiServer/resources';
import { StatusError } from '../../../src/apiServer/statusError';
import { LEASES } from '../../../src/cluster/clusterApi';
import { NODE_NAME, Sandbox } from '../../../src/sandbox';
import { silentLogger } from '../../../src/util/logger';
import { waitFor } from '../../../src/util/ports';
import { kubectl } from '../../helpers/kubectl';

const APP = `
apiVersion: v1
kind: Namespace
metadata: {name: real}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: real}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: ramp.dev/demo-app:v1
        ports: [{name: http, containerPort: 8080}]
        readinessProbe: {httpGet: {path: /readyz, port: http}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: real}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
`;

/** A pod that asks the API server who it is, with the credentials mounted where client-go looks for them. */
const WHOAMI = `
apiVersion: v1
kind: Pod
metadata: {name: whoami, namespace: real}
spec:
  restartPolicy: Never
  containers:
  - name: whoami
    image: ramp.dev/exec:1
    command:
    - /bin/sh
    - -c
    - |
      S=/var/run/secrets/kubernetes.io/serviceaccount
      echo "namespace=$(cat $S/namespace)"
      curl -sS --cacert $S/ca.crt -H "Authorization: Bearer $(cat $S/token)" -H 'Content-Type: application/json' \\
        -X POST -d '{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}' \\
        "https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT/apis/authentication.k8s.io/v1/selfsubjectreviews"
`;

describe('the sandbox on the real control plane', () => {
  let sb: Sandbox;
  let dir: string;
  const k = (args: string[], input?: string) => kubectl(sb.kubeconfigPath, args, { input, timeoutMs: 90_000 });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ramp-real-'));
    sb = await Sandbox.start({ dir, controlPlane: 'kubernetes', redis: false, logger: silentLogger() });
  }, 120_000);
  afterAll(async () => {
    const pids = sb?.controlPlanePids() ?? [];
    await sb?.close();
    // Nothing of the control plane outlives the sandbox.
    expect(pids.filter((p) => existsProcess(p))).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('is kube-apiserver v1.35.4 with its controllers, the Gateway API CRDs, and the sandbox node Ready', async () => {
    const version = JSON.parse((await k(['version', '-o', 'json'])).stdout) as {
      serverVersion: { gitVersion: string };
    };
    expect(version.serverVersion.gitVersion).toBe('v1.35.4');
    expect(sb.controlPlanePids()).toHaveLength(4);
    const crds = await k(['get', 'crd', '-o', 'name']);
    expect(crds.stdout).toContain('customresourcedefinition.apiextensions.k8s.io/httproutes.gateway.networking.k8s.io');
    const nodes = await k(['get', 'nodes', '-o', 'wide']);
    expect(nodes.stdout).toMatch(/sandbox\s+Ready\s+<none>\s+\S+\s+v1\.32\.0\s+10\.244\.0\.1\s/);
    const sa = await k(['get', 'serviceaccount', 'default', '-n', 'default', '-o', 'name']);
    expect(sa.stdout.trim()).toBe('serviceaccount/default');
  });

  it('renews the node Lease, and the kubelet is held to its node by the Node authorizer and NodeRestriction', async () => {
    const first = await sb.cluster.get(LEASES, 'kube-node-lease', NODE_NAME);
    expect(first?.spec).toMatchObject({ holderIdentity: NODE_NAME, leaseDurationSeconds: 40 });
    await waitFor(
      async () =>
        (await sb.cluster.get(LEASES, 'kube-node-lease', NODE_NAME))?.metadata.resourceVersion !==
        first?.metadata.resourceVersion,
      'the Lease to be renewed',
      15_000,
      500,
    );
    const node = sb.kubernetes!.cluster(sb.kubernetes!.pki.tokens.node, 'test-as-node');
    try {
      const all = await node.list(resource('pods')).catch((e: unknown) => e);
      expect(all).toBeInstanceOf(StatusError);
      expect((all as StatusError).message).toMatch(/can only list\/watch pods with spec.nodeName field selector/);
      const mine = await node.list(resource('pods'), { fieldSelector: `spec.nodeName=${NODE_NAME}` });
      expect(Array.isArray(mine)).toBe(true);
      const other = await node
        .create(resource('nodes'), undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'another' } })
        .catch((e: unknown) => e);
      expect((other as StatusError).reason).toBe('Forbidden');
    } finally {
      node.close();
    }
  });

  it('runs pods Running on the sandbox node with 10.244.x.y addresses, and kubectl logs reaches them', async () => {
    expect((await k(['apply', '-f', '-'], APP)).code).toBe(0);
    const status = await k(['rollout', 'status', 'deployment/web', '-n', 'real', '--timeout=60s']);
    expect(status.stdout).toContain('successfully rolled out');
    const wide = await k(['get', 'pods', '-n', 'real', '-o', 'wide']);
    expect(wide.stdout.match(/web-\S+\s+1\/1\s+Running\s+0\s+\S+\s+10\.244\.\d+\.\d+\s+sandbox\s/g)).toHaveLength(2);
    const slices = await k(['get', 'endpointslices', '-n', 'real', '-o', 'wide']);
    expect(slices.stdout).toMatch(/web-\S+\s+IPv4\s+8080\s+10\.244\.\d+\.\d+,10\.244\.\d+\.\d+/);
    const pod = (await sb.cluster.list(resource('pods'), { namespace: 'real' }))[0].metadata.name ?? '';
    const logs = await k(['logs', pod, '-n', 'real']);
    expect({ code: logs.code, stderr: logs.stderr }).toEqual({ code: 0, stderr: '' });
    expect(logs.stdout).toMatch(/demo-app v1 listening on 10\.244\.\d+\.\d+:8080/);
    const tail = await k(['logs', pod, '-n', 'real', '--tail=1', '--timestamps']);
    expect(tail.stdout.trim().split('\n')).toHaveLength(1);
    expect(tail.stdout).toMatch(/^\d{4}-\d{2}-\d{2}T\S+Z /);
  }, 120_000);

  it('mounts the service-account token, CA and namespace where a pod looks, and the API server accepts the token', async () => {
    expect((await k(['apply', '-f', '-'], WHOAMI)).code).toBe(0);
    await waitFor(
      async () =>
        (await sb.cluster.get(resource('pods'), 'real', 'whoami'))?.status !== undefined &&
        ((await sb.cluster.get(resource('pods'), 'real', 'whoami'))?.status as { phase?: string }).phase ===
          'Succeeded',
      'the whoami pod to finish',
      60_000,
      250,
    );
    const logs = await k(['logs', 'whoami', '-n', 'real']);
    expect(logs.stdout).toContain('namespace=real');
    expect(logs.stdout).toContain('"username": "system:serviceaccount:real:default"');
    const spec = await k(['get', 'pod', 'whoami', '-n', 'real', '-o', 'jsonpath={.spec.volumes[0].name}']);
    expect(spec.stdout).toMatch(/^kube-api-access-/);
  }, 90_000);
});

function existsProcess(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
