/**
 * The sequential judge end to end on the sandbox: real demo-app pods failing 5% of requests, the real
 * Prometheus, the engine's default judge. Under maxRatio 1.5 (the tolerance; detectRatio defaults to 2),
 * a canary failing three times as often is rolled back; a canary that fails exactly as often as stable
 * (a new revision, same behaviour) is promoted.
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
import { CLOCK_SKEW_MS } from '../../../src/analysis/counters';

const BASE_ERROR_RATE = 0.05;
/**
 * No judge named: errorRate gets the sequential judge. maxRatio 1.5 is what is tolerated (rolled back at
 * most alpha of the time); detectRatio, by default 4/3 of it (2), is the regression it looks for.
 */
const METRICS = [{ name: 'errors', errorRate: { maxRatio: 1.5, minRequests: 300 } }];
const DETECT_RATIO = 2;
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

  it('rolls back a canary that fails three times as often as stable, explaining why with numbers', async () => {
    const load = await deployedWithLoad('seq-bad', 11);
    const r = await createRollout(
      h.deps,
      demoPlan({ namespace: 'seq-bad', version: 'v2', errorRate: 3 * BASE_ERROR_RATE, steps: STEPS, metrics: METRICS }),
    );
    const done = await waitForPhase(h.deps, r.id, ['Succeeded', 'RolledBack', 'Failed'], 150_000);
    await load.stop();
    expect(done.phase).toBe('RolledBack');
    const verdict = done.analysis.metrics.errors?.verdict;
    expect(verdict?.decision).toBe('fail');
    expect(verdict?.evidence).toMatchObject({ maxRatio: 1.5, detectRatio: DETECT_RATIO, epoch: 1 });
    expect(verdict?.evidence.failLlr as number).toBeGreaterThanOrEqual(verdict?.evidence.failBoundary as number);
    expect(verdict?.evidence.ratio as number).toBeGreaterThan(1.5);
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

  it('promotes a canary that fails exactly as often as stable, after a pass with its bound below detectRatio', async () => {
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
    expect(verdict?.evidence.passLlr as number).toBeGreaterThanOrEqual(verdict?.evidence.passBoundary as number);
    expect(verdict?.evidence.ratioUpperBound as number).toBeLessThan(DETECT_RATIO);
    expect(verdict?.evidence.exposure as number).toBeGreaterThanOrEqual(300);
    const types = (await h.deps.events.read(r.id)).map((e) => e.event.type);
    expect(types).toEqual(expect.arrayContaining(['Analysis', 'Promoting', 'Promoted']));
    // Windows across a change of the split are marked (the share moved inside them), and only those near
    // one: a window is marked when it starts before the look that noticed a change plus the allowance for
    // clocks a little apart (counters.ts CLOCK_SKEW_MS), so at this plan's 1 s looks and the sandbox's
    // 1 s scrapes a few windows after each change are, and the windows between changes are not.
    const changes = (await h.deps.events.read(r.id))
      .filter((e) => e.event.type === 'WeightChanged')
      .map((e) => e.event.at);
    const windows = (done.analysis.metrics.errors?.measurements ?? []).filter((m) => m.kind === 'counts');
    const shifted = windows.filter((m) => m.shifted);
    expect(shifted.length).toBeGreaterThanOrEqual(1);
    expect(windows.some((m) => !m.shifted)).toBe(true);
    const NEAR_A_CHANGE_MS = 4_000 + CLOCK_SKEW_MS;
    for (const m of shifted) {
      if (m.from === undefined) continue; // a pod first seen inside the window: where it starts is unknown
      expect(changes.some((c) => m.to !== undefined && m.to > c && m.from! < c + NEAR_A_CHANGE_MS)).toBe(true);
    }
  }, 240_000);
});
