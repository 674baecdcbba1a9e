/**
 * The Helm chart installed for real: `helm install` into the sandbox's real control plane (etcd,
 * kube-apiserver, controller-manager, scheduler), where the sandbox kubelet runs the chart's pods from
 * the local build (`ramp.dev/ramp:*`), Ramp reaches the cluster in-cluster (its ServiceAccount token),
 * and a CI job's own ServiceAccount token drives rollouts through the API's Service: one promoted, one
 * rolled back; 401 and 403 where they belong. Then `helm upgrade` while a rollout is in flight (the API
 * polled every 100 ms: its downtime is printed, not asserted) and `helm uninstall` (everything the chart
 * made is gone). Kubernetes lane only: the home-made API server has no RBAC, TokenReview or
 * SubjectAccessReview. One sandbox for the whole file, to keep its wall time small.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Redis from 'ioredis';
import YAML from 'yaml';
import { LoadGenerator, rampMainPath, Sandbox, silentLogger, waitFor } from '@ramp/sandbox';
import type { RolloutView } from '../../src/api/schemas';
import { demoPlanInput } from '../../src/cli/demoPlan';
import { TERMINAL_PHASES } from '../../src/engine/phase';
import { controlPlaneUnderTest } from '../../packages/sandbox/test/helpers/controlPlane';
import { kubectl } from '../../packages/sandbox/test/helpers/kubectl';
import { CHART, helmAsync, valuesFile, type RenderedObject } from '../helpers/chart/helm';
import { ciRolloutGrant } from '../helpers/ciGrant';
import { requireBuild } from '../helpers/engineHarness';
import { InClusterApi, Poller, type PollSummary } from '../helpers/inClusterApi';
import { testRedisUrl } from '../helpers/redis';

const describeOnRealControlPlane = controlPlaneUnderTest() === 'kubernetes' ? describe : describe.skip;

const RELEASE = 'ramp';
const SYSTEM = 'ramp-system';
const NS = 'shop';
const ROLLOUTS = `/api/v1/namespaces/${NS}/rollouts`;
const INSTANCE = `app.kubernetes.io/instance=${RELEASE}`;

/** The figures this file measures, printed at the end (they go in a note, not in assertions). */
const figures: Record<string, string> = {};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

describeOnRealControlPlane('the Helm chart installed on the real control plane', () => {
  const started = performance.now();
  let sb: Sandbox;
  let dir: string;
  let prefix: string;
  let values: string;
  let api: InClusterApi;
  const tokens = { ci: '', nobody: '' };

  const k = async (args: string[], input?: string): Promise<string> => {
    const r = await kubectl(sb.kubeconfigPath, args, { input, timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const helm = async (args: string[]): Promise<{ ms: number; stdout: string }> => {
    const r = await helmAsync(args, sb.kubeconfigPath);
    if (r.status !== 0) throw new Error(`helm ${args.join(' ')}: ${r.stderr}`);
    return r;
  };

  /** The chart's pods (name, image, ready) as kube-apiserver reports them. */
  async function releasePods(): Promise<{ name: string; image: string; ready: boolean; ip: string }[]> {
    const list = JSON.parse(await k(['get', 'pods', '-n', SYSTEM, '-l', INSTANCE, '-o', 'json'])) as {
      items: {
        metadata: { name: string };
        spec: { containers: { image: string }[] };
        status: { podIP?: string; conditions?: { type: string; status: string }[] };
      }[];
    };
    return list.items.map((p) => ({
      name: p.metadata.name,
      image: p.spec.containers[0].image,
      ready: (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
      ip: p.status.podIP ?? '',
    }));
  }

  /** A demo-app rollout plan as a CI job would POST it. */
  function plan(version: string, o: { errorRate?: number; steps: unknown[]; judged: boolean }): unknown {
    return demoPlanInput({
      namespace: NS,
      version,
      replicas: 2,
      env: { ERROR_RATE: String(o.errorRate ?? 0), LATENCY_MS: '2' },
      steps: o.steps,
      scaleDownDelay: '1s',
      analysis: {
        interval: '1s',
        // The threshold judge decides within seconds on error-free canaries (the engine tests' choice).
        metrics: o.judged
          ? [{ name: 'errors', errorRate: { maxRatio: 1.5, minRequests: 20, judge: 'threshold' } }]
          : [],
      },
      progressDeadline: '60s',
    });
  }

  /** Starts a rollout as the CI job; resolves with its id. */
  async function startRollout(body: unknown): Promise<string> {
    const r = await api.request('POST', ROLLOUTS, { token: tokens.ci, body });
    if (r.status !== 201) throw new Error(`POST ${ROLLOUTS}: ${r.status} ${JSON.stringify(r.body)}`);
    return (r.body as RolloutView).id;
  }

  /** The app's latest rollout, read as the CI job through the in-cluster API. */
  async function view(): Promise<RolloutView> {
    const r = await api.request('GET', `${ROLLOUTS}/checkout`, { token: tokens.ci, timeoutMs: 5000 });
    if (r.status !== 200) throw new Error(`GET ${ROLLOUTS}/checkout: ${r.status}`);
    return r.body as RolloutView;
  }

  async function outcome(id: string, timeoutMs = 90_000): Promise<RolloutView> {
    let last: RolloutView | undefined;
    await waitFor(
      async () => {
        last = await view();
        return last.id === id && TERMINAL_PHASES.includes(last.phase);
      },
      `rollout ${id} to end`,
      timeoutMs,
      200,
    ).catch((e: Error) => {
      throw new Error(`${e.message}; it is ${last?.phase}: ${last?.message}`);
    });
    return last as RolloutView;
  }

  beforeAll(async () => {
    requireBuild();
    if (!existsSync(rampMainPath())) throw new Error('dist/ is missing: run `npx tsc -b tsconfig.build.json` first');
    dir = mkdtempSync(join(tmpdir(), 'ramp-helm-e2e-'));
    sb = await Sandbox.start({
      dir,
      controlPlane: 'kubernetes',
      redis: false,
      logger: silentLogger(),
      backoff: { initialMs: 200, maxMs: 2000 },
    });
    prefix = `test-helm-${Date.now().toString(36)}`;
    // What suits the sandbox: its Redis and Prometheus (pods are local processes, so loopback reaches
    // them), callers' own Kubernetes tokens, and a key prefix and queue of this test's own.
    values = valuesFile({
      redis: { url: testRedisUrl(), bundled: { enabled: false }, prefix, queue: prefix },
      auth: { mode: 'kubernetes' },
      metricProviders: { prometheusUrl: sb.urls.prometheus },
    });
    api = new InClusterApi(sb.urls.gateway, `${RELEASE}-api.${SYSTEM}`);
  }, 120_000);

  afterAll(async () => {
    await helmAsync(['uninstall', RELEASE, '-n', SYSTEM, '--ignore-not-found'], sb?.kubeconfigPath);
    await sb?.close();
    if (prefix) {
      const redis = new Redis(testRedisUrl());
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
    figures.wall = `${((performance.now() - started) / 1000).toFixed(1)} s`;
    console.log(
      `helm e2e figures: ${Object.entries(figures)
        .map(([key, v]) => `${key} ${v}`)
        .join('; ')}`,
    );
  }, 60_000);

  it('renders in a fraction of a second (helm template, median of 5)', async () => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) times.push((await helm(['template', RELEASE, CHART, '-n', SYSTEM, '-f', values])).ms);
    figures.render = `${Math.round(median(times))} ms (helm template, median of 5)`;
    expect(times).toHaveLength(5);
  });

  it('installs: the API and worker pods run the local build, in-cluster, ready behind their Service', async () => {
    const { ms, stdout } = await helm([
      'install',
      RELEASE,
      CHART,
      '-n',
      SYSTEM,
      '--create-namespace',
      '-f',
      values,
      '--wait',
      '--timeout',
      '120s',
    ]);
    figures.install = `${(ms / 1000).toFixed(1)} s (helm install --wait)`;
    // NOTES.txt tells an auth.mode kubernetes install where its callers' tokens come from.
    expect(stdout).toContain('kubectl create token <sa> -n <namespace>');
    const pods = await releasePods();
    expect(pods.map((p) => [p.image, p.ready])).toEqual(Array(4).fill(['ramp.dev/ramp:0.1.0', true]));
    // Through the Service (the gateway routes `Host: ramp-api.ramp-system` to its ready endpoints) and
    // straight to an API pod's own address.
    expect((await api.request('GET', '/readyz')).status).toBe(200);
    const apiPod = pods.find((p) => p.name.startsWith(`${RELEASE}-api-`));
    const direct = new InClusterApi(`http://${apiPod?.ip}:8080`, `${apiPod?.ip}:8080`);
    expect((await direct.request('GET', '/healthz')).status).toBe(200);
  }, 150_000);

  it('a CI ServiceAccount token: 401 and 403 where due, a rollout promoted and one rolled back through the API', async () => {
    await k(['create', 'namespace', NS]);
    await k(
      ['apply', '-f', '-'],
      `apiVersion: v1
kind: ServiceAccount
metadata: { name: ci, namespace: ${NS} }
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: nobody, namespace: ${NS} }
---
${ciRolloutGrant(NS)}---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: checkout, namespace: ${NS} }
spec:
  parentRefs: [{ name: sandbox }]
  hostnames: [checkout.${NS}.test]
  rules: [{ backendRefs: [{ name: checkout, port: 80 }] }]
`,
    );
    tokens.ci = (await k(['create', 'token', 'ci', '-n', NS])).trim();
    tokens.nobody = (await k(['create', 'token', 'nobody', '-n', NS])).trim();

    expect((await api.request('GET', ROLLOUTS, { token: 'not-a-kubernetes-token' })).status).toBe(401);
    const denied = await api.request('GET', ROLLOUTS, { token: tokens.nobody });
    expect(denied.status).toBe(403);
    expect(JSON.stringify(denied.body)).toContain(`system:serviceaccount:${NS}:nobody`);
    expect((await api.request('GET', ROLLOUTS, { token: tokens.ci })).status).toBe(200);

    const first = await outcome(await startRollout(plan('v1', { steps: [{ setWeight: 50 }], judged: true })));
    expect(first.phase).toBe('Succeeded');
    const load = new LoadGenerator({ url: sb.urls.gateway, host: `checkout.${NS}.test`, ratePerSecond: 100, seed: 7 });
    load.start();
    try {
      const bad = await outcome(
        await startRollout(
          plan('v2', {
            errorRate: 0.5,
            steps: [{ setWeight: 20 }, { analyze: { min: '30s' } }, { setWeight: 50 }],
            judged: true,
          }),
        ),
      );
      expect([bad.phase, bad.outcome]).toEqual(['RolledBack', 'rolledBack']);
      const good = await outcome(
        await startRollout(
          plan('v3', { steps: [{ setWeight: 20 }, { pause: { duration: '2s' } }, { setWeight: 50 }], judged: true }),
        ),
      );
      expect([good.phase, good.outcome]).toEqual(['Succeeded', 'promoted']);
      figures.rollouts = 'first deploy v1, v2 (50% errors) rolled back, v3 promoted';
    } finally {
      await load.stop();
    }
    // The workers wrote to the cluster with the chart's ServiceAccount (a container gets no kubeconfig, and
    // this machine has no ~/.kube/config): the in-cluster configuration, within the chart's RBAC.
    const events = JSON.parse(await k(['get', 'events', '-n', NS, '-o', 'json'])) as {
      items: { reportingComponent?: string; reason?: string }[];
    };
    expect(events.items.filter((e) => e.reportingComponent === 'ramp.dev/ramp').map((e) => e.reason)).toEqual(
      expect.arrayContaining(['RolledBack', 'Promoted']),
    );
    // Operating needs update on rollouts.ramp.dev: nobody has none.
    expect((await api.request('POST', `${ROLLOUTS}/checkout/pause`, { token: tokens.nobody })).status).toBe(403);
  }, 180_000);

  it('helm upgrade with a rollout in flight: the API polled every 100 ms, the rollout still ends', async () => {
    const id = await startRollout(
      plan('v4', {
        steps: [
          { setWeight: 20 },
          { pause: { duration: '4s' } },
          { setWeight: 40 },
          { pause: { duration: '4s' } },
          { setWeight: 60 },
          { pause: { duration: '4s' } },
        ],
        judged: false,
      }),
    );
    await waitFor(async () => (await view()).weight === 20, 'the rollout to reach 20%', 60_000, 100);
    const poller = new Poller(() => api.request('GET', `${ROLLOUTS}/checkout`, { token: tokens.ci, timeoutMs: 2000 }));
    poller.start();
    let summary: PollSummary;
    let upgradeMs: number;
    try {
      // A new image tag changes both pod templates: both Deployments roll.
      ({ ms: upgradeMs } = await helm([
        'upgrade',
        RELEASE,
        CHART,
        '-n',
        SYSTEM,
        '-f',
        values,
        '--set',
        'image.tag=0.1.1',
        '--wait',
        '--timeout',
        '120s',
      ]));
      // Old pods leave the endpoints when they start terminating, and keep serving until they stop: poll until then.
      await waitFor(
        async () => (await releasePods()).every((p) => p.image === 'ramp.dev/ramp:0.1.1'),
        'the old pods to be gone',
        60_000,
        250,
      );
    } finally {
      summary = await poller.stop();
    }
    const after = await view();
    const line =
      `helm upgrade with a rollout in flight: ${summary.polls} polls at 100 ms over ${(summary.wallMs / 1000).toFixed(1)} s, ` +
      `${summary.failed} failed (downtime ≈ ${summary.downtimeMs} ms), longest gap ${summary.longestGapMs} ms, ` +
      `helm upgrade --wait ${(upgradeMs / 1000).toFixed(1)} s, rollout at 20% before and ${after.phase} at ${after.weight}% after, ` +
      `failures ${JSON.stringify(summary.failures)}`;
    console.log(line);
    figures.upgrade = `${summary.failed} failed polls of ${summary.polls} (≈ ${summary.downtimeMs} ms), longest gap ${summary.longestGapMs} ms, upgrade ${(upgradeMs / 1000).toFixed(1)} s`;
    const done = await outcome(id);
    expect([done.phase, done.outcome]).toEqual(['Succeeded', 'promoted']);
    const pods = await releasePods();
    expect(pods.map((p) => [p.image, p.ready])).toEqual(Array(4).fill(['ramp.dev/ramp:0.1.1', true]));
  }, 180_000);

  it('helm uninstall removes everything the chart made', async () => {
    const manifest = (await helmAsync(['get', 'manifest', RELEASE, '-n', SYSTEM], sb.kubeconfigPath)).stdout;
    const made = YAML.parseAllDocuments(manifest)
      .map((d) => d.toJS() as RenderedObject | null)
      .filter((o): o is RenderedObject => o !== null)
      .map((o) => `${o.kind}/${o.metadata.name}`)
      .sort();
    expect(made).toEqual(
      [
        'ClusterRole/ramp',
        'ClusterRole/ramp-api',
        'ClusterRole/ramp-auth',
        'ClusterRoleBinding/ramp',
        'ClusterRoleBinding/ramp-api',
        'ClusterRoleBinding/ramp-auth',
        'ConfigMap/ramp',
        'Deployment/ramp-api',
        'Deployment/ramp-worker',
        'PodDisruptionBudget/ramp-api',
        'PodDisruptionBudget/ramp-worker',
        'Secret/ramp-redis-url',
        'Service/ramp-api',
        'ServiceAccount/ramp',
        'ServiceAccount/ramp-api',
      ].sort(),
    );
    const present = async (): Promise<string[]> =>
      (await k(['get', ...made, '-n', SYSTEM, '--ignore-not-found', '-o', 'name'])).split('\n').filter(Boolean);
    expect(await present()).toHaveLength(made.length);
    const { ms } = await helm(['uninstall', RELEASE, '-n', SYSTEM, '--wait', '--timeout', '60s']);
    expect(await present()).toEqual([]);
    // What the chart's objects made in turn goes by garbage collection: ReplicaSets, pods, endpoint slices.
    const derived = async (): Promise<string> =>
      k(['get', 'replicasets,pods', '-n', SYSTEM, '-l', INSTANCE, '-o', 'name']).then(
        async (owned) => owned + (await k(['get', 'endpointslices', '-n', SYSTEM, '-o', 'name'])),
      );
    await waitFor(async () => (await derived()).trim() === '', 'the pods and ReplicaSets to be collected', 60_000, 250);
    figures.uninstall = `${(ms / 1000).toFixed(1)} s (helm uninstall --wait) + pods gone`;
  }, 120_000);
});
