/**
 * The sequential judge end to end on the sandbox: real demo-app pods failing 5% of requests, the real
 * Prometheus, the engine's default judge. A canary failing twice as often is rolled back; a canary that
 * fails exactly as often as stable (a new revision, same behaviour) is promoted.
 */
import { createRollout } from '../../../src/engine/rollouts';
import { LoadGenerator } from '@ramp/sandbox';
import {
  demoPlan,
  prepareNamespace,
  startEngineHarness,
  waitForPhase,
  type EngineHarness,
} from '../../helpers/engineHarness';
import { canaryState } from '../../helpers/canaryState';

const BASE_ERROR_RATE = 0.05;
/** No judge named: errorRate gets the sequential judge. maxRatio 2 is the regression it looks for. */
const METRICS = [{ name: 'errors', errorRate: { maxRatio: 2, minRequests: 300 } }];
const STEPS = [
  { setWeight: 25 },
  { analyze: { min: '5s', max: '3m' } },
  { setWeight: 50 },
  { pause: { duration: '2s' } },
];

describe('the sequential judge on the sandbox', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness('sequential');
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  async function deployedWithLoad(ns: string, seed: number): Promise<LoadGenerator> {
    const host = await prepareNamespace(h.sb, ns);
    const first = await createRollout(
      h.deps,
      demoPlan({ namespace: ns, version: 'v1', errorRate: BASE_ERROR_RATE, metrics: METRICS }),
    );
    expect((await waitForPhase(h.deps, first.id, ['Succeeded', 'Failed'])).phase).toBe('Succeeded');
    const load = new LoadGenerator({ url: h.sb.urls.gateway, host, ratePerSecond: 100, seed });
    load.start();
    return load;
  }

  it('rolls back a canary that fails twice as often as stable, explaining why with numbers', async () => {
    const load = await deployedWithLoad('seq-bad', 11);
    const r = await createRollout(
      h.deps,
      demoPlan({ namespace: 'seq-bad', version: 'v2', errorRate: 2 * BASE_ERROR_RATE, steps: STEPS, metrics: METRICS }),
    );
    const done = await waitForPhase(h.deps, r.id, ['Succeeded', 'RolledBack', 'Failed'], 150_000);
    await load.stop();
    expect(done.phase).toBe('RolledBack');
    const verdict = done.analysis.metrics.errors?.verdict;
    expect(verdict?.decision).toBe('fail');
    expect(verdict?.evidence).toMatchObject({ maxRatio: 2, alternative: 2, epoch: 1 });
    expect(verdict?.evidence.llr as number).toBeGreaterThanOrEqual(verdict?.evidence.failBoundary as number);
    expect(verdict?.evidence.ratio as number).toBeGreaterThan(1.2);
    expect(done.rollback?.reason).toMatch(
      /^analysis failed: errors — canary [\d.]+% errors \(\d+\/\d+\) vs stable [\d.]+% \(\d+\/\d+\) .*: at least [\d.]+× stable.s rate/,
    );
    // It never got past the analyze step at 25%.
    expect(canaryState(done).weight).toBeLessThanOrEqual(25);
    // The evidence is told once, when the rollback begins; the verdict and the end only name the cause.
    const messages = (await h.deps.events.read(r.id)).map((e) => e.event.message);
    const evidence = done.rollback?.reason.split(' — ')[1] ?? '';
    expect(messages.filter((m) => m.includes(evidence))).toEqual([`rolling back: ${done.rollback?.reason}`]);
    expect(done.message).toMatch(/^rolled back: analysis failed: errors; all traffic on \w+$/);
  }, 240_000);

  it('promotes a canary that fails exactly as often as stable, after a pass with its bound below maxRatio', async () => {
    const load = await deployedWithLoad('seq-same', 12);
    const r = await createRollout(
      h.deps,
      demoPlan({ namespace: 'seq-same', version: 'v2', errorRate: BASE_ERROR_RATE, steps: STEPS, metrics: METRICS }),
    );
    const done = await waitForPhase(h.deps, r.id, ['Succeeded', 'RolledBack', 'Failed'], 150_000);
    await load.stop();
    expect(done.phase).toBe('Succeeded');
    expect(done.outcome).toBe('promoted');
    const verdict = done.analysis.metrics.errors?.verdict;
    expect(verdict?.decision).toBe('pass');
    expect(verdict?.evidence.ratioUpperBound as number).toBeLessThan(2);
    expect(verdict?.evidence.exposure as number).toBeGreaterThanOrEqual(300);
    const types = (await h.deps.events.read(r.id)).map((e) => e.event.type);
    expect(types).toEqual(expect.arrayContaining(['Analysis', 'Promoting', 'Promoted']));
    // The look across the step from 25% to 50% is marked (its share moved inside it), and only the few
    // looks across a change of the split are: the first route at 25%, the step to 50%.
    const measurements = done.analysis.metrics.errors?.measurements ?? [];
    const shifted = measurements.filter((m) => m.kind === 'counts' && m.shifted);
    expect(shifted.length).toBeGreaterThanOrEqual(1);
    expect(shifted.length).toBeLessThanOrEqual(3);
  }, 240_000);
});
