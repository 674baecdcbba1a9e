/**
 * Adoption end to end on the sandbox, under steady load through the gateway: an app that runs today as a
 * plain Deployment behind its Service is refused by a plan that does not adopt it (422, naming it and
 * `spec.adopt`); a plan that adopts it takes it over with no failed request — Ramp's stable ReplicaSet
 * from its template at its size, the Service pointed at it only once every pod is ready, the Deployment
 * scaled to 0 (and annotated) only after — and canaries the new version through the strategy as usual.
 * `ramp release --wait` (the CLI, over HTTP) hands it back, again with no failed request. The API server's changes are watched as they
 * happen, so the order is evidence, not inference.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import request from 'supertest';
import { LoadGenerator, resource, waitFor, type ClusterEvent, type KubeObject, type LoadReport } from '@ramp/sandbox';
import { demoPlanInput } from '../../../src/cli/demoPlan';
import type { RolloutView } from '../../../src/api/schemas';
import type { RolloutRecord } from '../../../src/engine/record';
import { PlanValidationError } from '../../../src/errors';
import { createRollout } from '../../../src/engine/rollouts';
import { validatePlan } from '../../../src/plan/parse';
import { prepareNamespace, startEngineHarness, waitForPhase, type EngineHarness } from '../../helpers/engineHarness';
import { bearer, startApi, TOKENS, type ApiHarness } from '../api/apiHarness';

const NS = 'adopt';
const ROOT = resolve(__dirname, '..', '..', '..');
const admin = bearer(TOKENS.admin);
const base = `/api/v1/namespaces/${NS}/rollouts`;

type Obj = KubeObject & {
  spec?: { replicas?: number; selector?: Record<string, string> };
  status?: { readyReplicas?: number };
};

/** Every change to the namespace's Deployments, Services and ReplicaSets, stamped when the watch saw it. */
class Changes {
  readonly seen: { at: number; kind: string; name: string; object: Obj }[] = [];
  private readonly watches: { stop(): void }[];

  constructor(h: EngineHarness) {
    const record = (e: ClusterEvent) => {
      const object = JSON.parse(JSON.stringify(e.object)) as Obj;
      this.seen.push({ at: Date.now(), kind: object.kind ?? '', name: object.metadata.name ?? '', object });
    };
    this.watches = ['deployments', 'services', 'replicasets'].map((r) =>
      h.sb.cluster.watch(resource(r), { namespace: NS }, record),
    );
  }

  stop(): void {
    for (const w of this.watches) w.stop();
  }

  /** When `test` first held for an object of `kind` named `name` (after `from`). */
  first(kind: string, name: string, test: (o: Obj) => boolean, from = 0): number {
    const hit = this.seen.find((c) => c.at >= from && c.kind === kind && c.name === name && test(c.object));
    if (!hit) throw new Error(`no ${kind} ${name} change matched`);
    return hit.at;
  }
}

/** Runs `bin/ramp args…` as a CI job would (CI=true, the server's URL and a token); its exit code and output. */
function ramp(url: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true', RAMP_URL: url, RAMP_TOKEN: TOKENS.admin };
  delete env.GITHUB_STEP_SUMMARY;
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'ramp'), ...args], { cwd: ROOT, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((res) => child.on('close', (code) => res({ code, stdout, stderr })));
}

/** A plain Deployment `checkout` of the demo app v1 (3 pods) and the Service in front of it. */
async function plainDeployment(h: EngineHarness): Promise<void> {
  const v1 = demoPlanInput({
    namespace: NS,
    version: 'v1',
    replicas: 3,
    steps: [],
    scaleDownDelay: '0s',
    analysis: {},
  });
  const template = (v1.spec as { template: Record<string, unknown> }).template;
  await h.sb.cluster.create(resource('services'), NS, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'checkout', namespace: NS },
    spec: { selector: { app: 'checkout' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
  });
  await h.sb.cluster.create(resource('deployments'), NS, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'checkout', namespace: NS },
    spec: { replicas: 3, selector: { matchLabels: { app: 'checkout' } }, template },
  });
  await waitFor(
    async () => ((await deploymentOf(h)).status?.readyReplicas ?? 0) >= 3,
    'the Deployment to have 3 ready pods',
    60_000,
    100,
  );
}

async function deploymentOf(h: EngineHarness): Promise<Obj> {
  return (await h.sb.cluster.get(resource('deployments'), NS, 'checkout')) as Obj;
}

/** The demo app v2 canaried at 50%, adopting Deployment `checkout` unless told not to. */
function v2Plan(adopt = true): Record<string, unknown> {
  const input = demoPlanInput({
    namespace: NS,
    version: 'v2',
    replicas: 3,
    steps: [{ setWeight: 50 }, { pause: { duration: '3s' } }],
    scaleDownDelay: '1s',
    analysis: {
      interval: '1s',
      metrics: [{ name: 'errors', errorRate: { maxRatio: 1.5, minRequests: 20, judge: 'threshold' } }],
    },
    progressDeadline: '60s',
  });
  if (adopt) (input.spec as Record<string, unknown>).adopt = { deployment: 'checkout' };
  return input;
}

/** Load through the gateway until `body` is done: the report of every request sent meanwhile. */
async function underLoad(h: EngineHarness, host: string, seed: number, body: () => Promise<void>): Promise<LoadReport> {
  const load = new LoadGenerator({ url: h.sb.urls.gateway, host, ratePerSecond: 40, seed });
  load.start();
  try {
    // Answers are flowing before anything changes.
    await waitFor(async () => load.snapshot().completed >= 20, 'the first answers', 20_000, 50);
    await body();
  } catch (e) {
    await load.stop();
    throw e;
  }
  return load.stop();
}

function failures(r: LoadReport): number {
  return r.transportErrors + Object.values(r.byRevision).reduce((n, x) => n + x.errors5xx, 0) + r.skipped;
}

describe('adopting a plain Deployment, and releasing it', () => {
  let h: EngineHarness;
  let api: ApiHarness;
  let host: string;

  beforeAll(async () => {
    h = await startEngineHarness('adopt');
    api = await startApi('adopt', { deps: h.deps });
    host = await prepareNamespace(h.sb, NS);
    await plainDeployment(h);
  }, 120_000);
  afterAll(async () => {
    await api?.close();
    await h?.close();
  });

  it('refuses a plan that does not adopt the Deployment its Service sends requests to, naming it and spec.adopt (422)', async () => {
    const problems = await createRollout(h.deps, validatePlan(v2Plan(false)), { dryRun: true }).then(
      () => [],
      (e: unknown) => (e instanceof PlanValidationError ? e.problems : Promise.reject(e)),
    );
    expect(problems).toEqual([
      {
        path: 'spec.adopt',
        message: expect.stringMatching(
          /^Deployment checkout in namespace adopt runs 3 pods Ramp did not adopt: Service checkout sends it requests today \(selector app=checkout\).*spec\.adopt: \{ deployment: checkout \}/,
        ),
      },
    ]);
    const refused = await request(api.app).post(base).set(admin).send(v2Plan(false)).expect(422);
    expect(refused.body.error.code).toBe('INVALID_PLAN');
    expect(refused.body.error.details).toEqual(problems);
    // Nothing was written: the Deployment still serves alone.
    expect((await deploymentOf(h)).spec?.replicas).toBe(3);
    const release = await request(api.app).post(`${base}/checkout/release`).set(admin).send({}).expect(409);
    expect(release.body.error.code).toBe('NOTHING_ADOPTED');
  });

  it('adopts it and canaries v2 with no failed request, then release hands it back with none either', async () => {
    const changes = new Changes(h);
    let adoptId = '';
    const adopting = await underLoad(h, host, 7, async () => {
      const created = (await request(api.app).post(base).set(admin).send(v2Plan()).expect(201)).body as RolloutView;
      adoptId = created.id;
      const done = await waitForPhase(h.deps, adoptId, ['Succeeded', 'RolledBack', 'Failed'], 120_000);
      expect(done.phase).toBe('Succeeded');
    });
    const record = await h.deps.store.get(adoptId);
    const adopted = record?.revisions.previousStable ?? '';
    const v2 = record?.revisions.new ?? '';
    expect(record?.adoption).toEqual({ deployment: 'checkout', replicas: 3, stage: 'done' });
    expect(record?.outcome).toBe('promoted');
    const events = (await h.deps.events.read(adoptId)).map((e) => e.event);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['Adopted', 'StepStarted', 'Promoted']));
    // The Deployment is at 0, annotated with who adopted it and the size to hand back.
    const dep = await deploymentOf(h);
    expect(dep.spec?.replicas).toBe(0);
    expect(dep.metadata.annotations).toMatchObject({
      'ramp.dev/adopted-by': adoptId,
      'ramp.dev/adopted-replicas': '3',
    });

    // The order, as the API server saw it: Ramp's stable pods all ready, then the Service on them, then the Deployment at 0.
    const ready = changes.first('ReplicaSet', `checkout-${adopted}`, (o) => (o.status?.readyReplicas ?? 0) >= 3);
    const switched = changes.first('Service', 'checkout', (o) => o.spec?.selector?.['ramp.dev/revision'] === adopted);
    const scaled = changes.first('Deployment', 'checkout', (o) => o.spec?.replicas === 0);
    expect(ready).toBeLessThanOrEqual(switched);
    expect(switched).toBeLessThan(scaled);

    // Every request answered, none failed; the Deployment's pods, Ramp's copy of them and the canary all served.
    process.stderr.write(`[adopt] adoption + canary: ${JSON.stringify(summary(adopting))}\n`);
    expect(failures(adopting)).toBe(0);
    expect(adopting.completed).toBe(adopting.sent);
    expect(Object.keys(adopting.byRevision)).toEqual(expect.arrayContaining([adopted, v2]));
    expect(Object.keys(adopting.byRevision).length).toBeGreaterThanOrEqual(3);

    // `ramp release --wait` as a pipeline runs it, over HTTP: while it runs a second release waits its
    // turn (exit 5, the 409); once it ends, the app is handed back and the first exits 0.
    let releaseId = '';
    const from = Date.now();
    const { url } = await api.startServer();
    const releasing = await underLoad(h, host, 11, async () => {
      const waiting = ramp(url, ['release', 'checkout', '-n', NS, '--wait', '-o', 'json']);
      let active: RolloutRecord | undefined;
      await waitFor(
        async () => (active = await h.deps.store.getActive(NS, 'checkout')) !== undefined,
        'the release to start',
        30_000,
        50,
      );
      releaseId = active?.id ?? '';
      expect(active?.release).toMatchObject({ deployment: 'checkout' });
      const busy = await ramp(url, ['release', 'checkout', '-n', NS]);
      expect({ code: busy.code, stderr: busy.stderr }).toMatchObject({
        code: 5,
        stderr: expect.stringMatching(/already has an active rollout/),
      });
      const done = await waiting;
      expect(done.code).toBe(0);
      const view = JSON.parse(done.stdout) as RolloutView;
      expect(view).toMatchObject({ id: releaseId, phase: 'Succeeded', outcome: 'released' });
    });
    changes.stop();
    const released = await h.deps.store.get(releaseId);
    expect(released?.outcome).toBe('released');
    expect(released?.release).toMatchObject({ replicas: 3, stage: 'done' });
    const back = await deploymentOf(h);
    expect(back.spec?.replicas).toBe(3);
    expect(back.metadata.annotations?.['ramp.dev/adopted-by']).toBeUndefined();
    expect(back.metadata.annotations?.['ramp.dev/released-by']).toBe(releaseId);
    // It runs the version that served (v2), not the one adopted long ago.
    const image = (back.spec as { template?: { spec?: { containers?: { image?: string }[] } } }).template?.spec
      ?.containers?.[0]?.image;
    expect(image).toBe('ramp.dev/demo-app:v2');
    const svc = (await h.sb.cluster.get(resource('services'), NS, 'checkout')) as Obj;
    expect(svc.spec?.selector).toEqual({ app: 'checkout' });
    const rampRs = (await h.sb.cluster.list(resource('replicasets'), {
      namespace: NS,
      labelSelector: 'ramp.dev/app=checkout',
    })) as Obj[];
    expect(rampRs.map((r) => r.spec?.replicas)).toEqual(rampRs.map(() => 0));

    // The Deployment's pods ready before the Service selected them (alone, by their pod-template-hash);
    // Ramp's pods asked to stop only after they left the Service; the plan's selector last.
    const depReady = changes.first('Deployment', 'checkout', (o) => (o.status?.readyReplicas ?? 0) >= 3, from);
    const narrowed = changes.first('Service', 'checkout', (o) => !!o.spec?.selector?.['pod-template-hash'], from);
    const rampDown = changes.first('ReplicaSet', `checkout-${v2}`, (o) => o.spec?.replicas === 0, from);
    const widened = changes.first('Service', 'checkout', (o) => Object.keys(o.spec?.selector ?? {}).length === 1, from);
    expect(depReady).toBeLessThanOrEqual(narrowed);
    expect(narrowed).toBeLessThan(rampDown);
    expect(rampDown).toBeLessThanOrEqual(widened);

    process.stderr.write(`[adopt] release: ${JSON.stringify(summary(releasing))}\n`);
    expect(failures(releasing)).toBe(0);
    expect(releasing.completed).toBe(releasing.sent);

    // Released, the Deployment is foreign again: a plan must adopt it anew.
    await request(api.app).post(`${base}?dryRun=true`).set(admin).send(v2Plan(false)).expect(422);
    await request(api.app).post(`${base}?dryRun=true`).set(admin).send(v2Plan()).expect(200);
    await request(api.app).post(`${base}/checkout/release`).set(admin).send({}).expect(409);
  }, 300_000);
});

function summary(r: LoadReport): Record<string, unknown> {
  return {
    sent: r.sent,
    completed: r.completed,
    transportErrors: r.transportErrors,
    skipped: r.skipped,
    byRevision: Object.fromEntries(
      Object.entries(r.byRevision).map(([k, v]) => [k, { total: v.total, errors5xx: v.errors5xx }]),
    ),
  };
}
