/**
 * Security: a namespace token cannot have Ramp start a pod its namespace's pod policy refuses. At the
 * API (create and dry run) a privileged template, host namespaces, a hostPath volume or a service
 * account the operator did not allow get 422 naming each field, and nothing is written; a record
 * written under an older, laxer policy is failed by the worker before it creates any ReplicaSet.
 */
import request from 'supertest';
import { resource } from '@ramp/sandbox';
import { createRollout } from '../../../src/engine/rollouts';
import { PodPolicy } from '../../../src/policy/podPolicy';
import { demoPlanInput } from '../../../src/cli/demoPlan';
import { validatePlan } from '../../../src/plan/parse';
import { bearer, startApi, TOKENS, type ApiHarness } from '../api/apiHarness';
import { prepareNamespace, startEngineHarness, waitForPhase, type EngineHarness } from '../../helpers/engineHarness';

jest.setTimeout(120_000);

const NS = 'a'; // the namespace the harness's team-a token may write to

/** A demo plan whose pod spec has `spec` merged in and its container `container`. */
function planWith(spec: Record<string, unknown>, container: Record<string, unknown> = {}) {
  const input = demoPlanInput({
    namespace: NS,
    version: 'v1',
    replicas: 1,
    steps: [{ setWeight: 50 }],
    scaleDownDelay: '1s',
    analysis: {},
  }) as { spec: { template: { spec: Record<string, unknown> & { containers: Record<string, unknown>[] } } } };
  const podSpec = input.spec.template.spec;
  Object.assign(podSpec, spec);
  Object.assign(podSpec.containers[0], container);
  return input;
}

const ROOT_ON_THE_HOST = planWith(
  {
    hostPID: true,
    hostNetwork: true,
    volumes: [{ name: 'host', hostPath: { path: '/' } }],
  },
  { securityContext: { privileged: true, runAsUser: 0 }, volumeMounts: [{ name: 'host', mountPath: '/host' }] },
);

describe('security: the pod policy (baseline by default)', () => {
  let h: EngineHarness;
  let api: ApiHarness;

  beforeAll(async () => {
    h = await startEngineHarness('podpolicy', { worker: false });
    api = await startApi('podpolicy', { deps: h.deps });
    await prepareNamespace(h.sb, NS);
  }, 90_000);
  afterAll(async () => {
    await api?.close();
    await h?.close();
  });

  const post = (body: unknown, dryRun = false) =>
    request(api.app)
      .post(`/api/v1/namespaces/${NS}/rollouts${dryRun ? '?dryRun=true' : ''}`)
      .set(bearer(TOKENS.teamA))
      .send(body as object);

  it('refuses a privileged pod with host namespaces and the host filesystem: 422 naming each field, create and dry run', async () => {
    for (const dryRun of [false, true]) {
      const res = await post(ROOT_ON_THE_HOST, dryRun);
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('INVALID_PLAN');
      expect(res.body.error.details.map((d: { path: string }) => d.path)).toEqual([
        'spec.template.spec.hostNetwork',
        'spec.template.spec.hostPID',
        'spec.template.spec.containers[0].securityContext.privileged',
        'spec.template.spec.volumes[0].hostPath',
      ]);
      expect(res.body.error.details[0].message).toMatch(/Pod Security Standards, baseline: Host Namespaces/);
    }
    expect(await h.deps.store.list(NS, { limit: 10 })).toEqual([]);
  });

  it('refuses a service account the operator did not allow; the default one is fine', async () => {
    const res = await post(planWith({ serviceAccountName: 'cluster-admin-sa' }), true);
    expect(res.status).toBe(422);
    expect(res.body.error.details).toEqual([
      {
        path: 'spec.template.spec.serviceAccountName',
        message: 'service account "cluster-admin-sa" is not allowed in namespace a (the operator allows: default)',
      },
    ]);
    expect((await post(planWith({ serviceAccountName: 'default' }), true)).status).toBe(200);
  });

  it('fails, before any ReplicaSet exists, a rollout recorded under a laxer policy', async () => {
    h.deps.podPolicy = new PodPolicy({ level: 'privileged' });
    const recorded = await createRollout(h.deps, validatePlan(ROOT_ON_THE_HOST));
    h.deps.podPolicy = new PodPolicy();
    h.worker.start();
    const done = await waitForPhase(h.deps, recorded.id, ['Failed', 'Succeeded', 'Progressing']);
    expect(done.phase).toBe('Failed');
    expect(done.message).toMatch(/^the pod policy of namespace a \(baseline\) refuses the new pod template: /);
    expect(done.message).toContain('spec.template.spec.containers[0].securityContext.privileged');
    const events = await h.deps.events.read(recorded.id);
    expect(events.map((e) => e.event.type)).toContain('Failed');
    expect(h.sb.registry.list(resource('replicasets'), { namespace: NS }).items).toEqual([]);
    expect(h.sb.registry.list(resource('pods'), { namespace: NS }).items).toEqual([]);
  });
});
