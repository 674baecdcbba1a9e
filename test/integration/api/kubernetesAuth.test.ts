/**
 * `ramp server --auth kubernetes` on the real control plane: a CI job's ServiceAccount token is who
 * the cluster's TokenReview says, and may do what a Role on rollouts.ramp.dev grants in its namespace
 * (SubjectAccessReview). A token the cluster rejects gets 401, one without the grant 403, and one with
 * the RoleBinding starts a rollout that is promoted. Runs in the kubernetes lane only: the home-made API
 * server has no SubjectAccessReview.
 */
import { spawn } from 'node:child_process';
import request from 'supertest';
import { createAuthenticator } from '../../../src/api/auth/factory';
import { demoPlanInput } from '../../../src/cli/demoPlan';
import { prepareNamespace, startEngineHarness, waitForPhase, type EngineHarness } from '../../helpers/engineHarness';
import { ciRolloutGrant } from '../../helpers/ciGrant';
import { startApi, type ApiHarness } from './apiHarness';

const NS = 'kauth';

describe('the kubernetes authenticator', () => {
  let h: EngineHarness;
  let api: ApiHarness;

  /** Runs kubectl against the control plane (not execFileSync: nothing here may block the event loop). */
  function kubectl(args: string[], input?: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const p = spawn('kubectl', ['--kubeconfig', h.sb.kubeconfigPath, ...args]);
      let out = '';
      let err = '';
      p.stdout.on('data', (c: Buffer) => (out += c.toString()));
      p.stderr.on('data', (c: Buffer) => (err += c.toString()));
      p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`kubectl ${args.join(' ')}: ${err}`))));
      p.stdin.end(input ?? '');
    });
  }

  beforeAll(async () => {
    h = await startEngineHarness('kauth');
    api = await startApi('kauth', {
      deps: h.deps,
      api: { authenticator: createAuthenticator({ kind: 'kubernetes', kube: h.deps.kube, cacheMs: 2000 }) },
    });
    await prepareNamespace(h.sb, NS);
    await kubectl(['create', 'serviceaccount', 'ci', '-n', NS]);
    await kubectl(['create', 'serviceaccount', 'nobody', '-n', NS]);
    await kubectl(['apply', '-f', '-'], ciRolloutGrant(NS));
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    await h?.close();
  });

  it('answers 401 to a token the cluster rejects, 403 without the RoleBinding, and runs a rollout with it', async () => {
    const token = async (sa: string) => (await kubectl(['create', 'token', sa, '-n', NS])).trim();
    const ci = { Authorization: `Bearer ${await token('ci')}` };
    const nobody = { Authorization: `Bearer ${await token('nobody')}` };
    const list = `/api/v1/namespaces/${NS}/rollouts`;

    await request(api.app).get(list).set({ Authorization: 'Bearer not-a-kubernetes-token' }).expect(401);
    const denied = await request(api.app).get(list).set(nobody).expect(403);
    expect(denied.body.error.message).toContain(`system:serviceaccount:${NS}:nobody`);
    // The ci token may act in its namespace only.
    await request(api.app).get('/api/v1/namespaces/default/rollouts').set(ci).expect(403);
    await request(api.app).get(list).set(ci).expect(200);

    const plan = (version: string) =>
      demoPlanInput({
        namespace: NS,
        version,
        replicas: 2,
        steps: [{ setWeight: 50 }],
        scaleDownDelay: '1s',
        analysis: { interval: '1s', metrics: [] },
      });
    const first = await request(api.app).post(list).set(ci).send(plan('v1')).expect(201);
    expect((await waitForPhase(h.deps, first.body.id, ['Succeeded', 'Failed'])).phase).toBe('Succeeded');
    const second = await request(api.app).post(list).set(ci).send(plan('v2')).expect(201);
    expect((await waitForPhase(h.deps, second.body.id, ['Succeeded', 'RolledBack', 'Failed'])).phase).toBe('Succeeded');
    // Reading it back and operating need get and update on rollouts.ramp.dev: the Role grants both.
    await request(api.app).get(`${list}/checkout`).set(ci).expect(200);
    await request(api.app).post(`${list}/checkout/pause`).set(nobody).expect(403);
  }, 180_000);
});
