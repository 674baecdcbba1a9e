/**
 * `undo` returns an app to an earlier promoted revision through the same strategy: the rollout that
 * promoted it is started again, and the new rollout says whose plan it repeats and who asked; history
 * lists every rollout with its revision and images.
 */
import request from 'supertest';
import { demoPlanInput } from '../../../src/cli/demoPlan';
import { historyText } from '../../../src/cli/output/results';
import type { RolloutView } from '../../../src/api/schemas';
import { prepareNamespace, startEngineHarness, waitForPhase, type EngineHarness } from '../../helpers/engineHarness';
import { bearer, startApi, TOKENS, type ApiHarness } from './apiHarness';

const NS = 'undo';

describe('undo and history', () => {
  let h: EngineHarness;
  let api: ApiHarness;
  const base = `/api/v1/namespaces/${NS}/rollouts`;
  const admin = bearer(TOKENS.admin);

  beforeAll(async () => {
    h = await startEngineHarness('undo');
    api = await startApi('undo', { deps: h.deps });
    await prepareNamespace(h.sb, NS);
  }, 90_000);
  afterAll(async () => {
    await api?.close();
    await h?.close();
  });

  const plan = (version: string) =>
    demoPlanInput({
      namespace: NS,
      version,
      replicas: 2,
      steps: [{ setWeight: 50 }],
      scaleDownDelay: '1s',
      analysis: { interval: '1s', metrics: [] },
    });
  const settle = async (id: string) => (await waitForPhase(h.deps, id, ['Succeeded', 'RolledBack', 'Failed'])).phase;

  it('refuses with 409 when there is nothing to go back to, then rolls back to the previous revision through the canary', async () => {
    const v1 = (await request(api.app).post(base).set(admin).send(plan('v1')).expect(201)).body as RolloutView;
    expect(await settle(v1.id)).toBe('Succeeded');
    const none = await request(api.app).post(`${base}/checkout/undo`).set(admin).send({}).expect(409);
    expect(none.body.error).toMatchObject({ code: 'NO_UNDO_TARGET' });
    expect(none.body.error.message).toMatch(/only revision \w+ was ever promoted/);

    const v2 = (await request(api.app).post(base).set(admin).send(plan('v2')).expect(201)).body as RolloutView;
    expect(await settle(v2.id)).toBe('Succeeded');
    const done2 = await h.deps.store.get(v2.id);

    const undo = (await request(api.app).post(`${base}/checkout/undo`).set(admin).send({}).expect(201))
      .body as RolloutView;
    expect(undo.undoOf).toBe(v1.id);
    expect(undo.createdBy).toBe('admin');
    expect(undo.strategy).toBe('canary');
    expect(await settle(undo.id)).toBe('Succeeded');
    const back = await h.deps.store.get(undo.id);
    // Back on v1's revision, from v2's.
    expect(back?.revisions.new).toBe((await h.deps.store.get(v1.id))?.revisions.new);
    expect(back?.revisions.previousStable ?? back?.revisions.stable).toBeDefined();
    expect(back?.revisions.new).not.toBe(done2?.revisions.new);
    // A step of the canary ran: it went through the strategy, not a switch.
    const events = (await h.deps.events.read(undo.id)).map((e) => e.event.type);
    expect(events).toContain('StepStarted');

    // The revision running now cannot be undone to; another by name can.
    const running = back?.revisions.new ?? '';
    const same = await request(api.app).post(`${base}/checkout/undo`).set(admin).send({ toRevision: running });
    expect(same.status).toBe(409);
    const again = await request(api.app)
      .post(`${base}/checkout/undo`)
      .set(admin)
      .send({ toRevision: done2?.revisions.new })
      .expect(201);
    expect(again.body.undoOf).toBe(v2.id);
    expect(await settle(again.body.id)).toBe('Succeeded');
    await request(api.app).post(`${base}/checkout/undo`).set(admin).send({ toRevision: 'Nope!' }).expect(400);

    const items = (await request(api.app).get(`${base}?app=checkout`).set(admin).expect(200)).body
      .items as RolloutView[];
    expect(items.map((i) => i.images[0])).toEqual([
      'ramp.dev/demo-app:v2',
      'ramp.dev/demo-app:v1',
      'ramp.dev/demo-app:v2',
      'ramp.dev/demo-app:v1',
    ]);
    const text = historyText(items);
    expect(text.split('\n')[0]).toMatch(/^ROLLOUT\s+REVISION\s+IMAGES\s+OUTCOME\s+STARTED\s+BY$/);
    expect(text).toMatch(
      new RegExp(`${again.body.id}\\s+\\w+\\s+ramp\\.dev/demo-app:v2\\s+promoted \\(undo of ${v2.id}\\)`),
    );
  }, 180_000);
});
