/**
 * /metrics of the API server shows each active rollout — phase, step, target weight, verdicts — from the
 * store (real Redis), and forgets a rollout once it ends.
 */
import request from 'supertest';
import { startApi, type ApiHarness } from './apiHarness';
import { setPhase, storeRollout } from './records';

describe('per-rollout metrics on /metrics', () => {
  let api: ApiHarness;

  beforeAll(async () => {
    api = await startApi('rmetrics');
  });
  afterAll(async () => {
    await api?.close();
  });

  it('exports the active rollouts with their phase, step and weight, and drops one that ended', async () => {
    const live = await storeRollout(api.deps, 'shop', 'checkout', 'Progressing');
    const ended = await setPhase(api.deps, await storeRollout(api.deps, 'shop', 'cart', 'Progressing'), 'Succeeded');
    const text = (await request(api.app).get('/metrics').expect(200)).text;
    const at = `namespace="shop",app="checkout",rollout="${live.id}"`;
    expect(text).toContain('ramp_rollouts_active 1');
    expect(text).toMatch(new RegExp(`ramp_rollout_info\\{${at},strategy="canary",router="\\w+"\\} 1`));
    expect(text).toContain(`ramp_rollout_phase{${at},phase="Progressing"} 1`);
    expect(text).toContain(`ramp_rollout_phase{${at},phase="Paused"} 0`);
    expect(text).toContain(`ramp_rollout_step{${at}} 1`);
    expect(text).toMatch(new RegExp(`ramp_rollout_steps\\{${at}\\} [1-9]`));
    expect(text).toMatch(new RegExp(`ramp_rollout_weight\\{${at},kind="target"\\} \\d+`));
    expect(text).not.toContain(ended.id);
  });
});
