/**
 * The sequential judge on the sandbox with Prometheus scraping every 15 s, as real ones do (the sandbox
 * scrapes every second by default, which hid a judge blind between scrapes): a canary failing three
 * times as often as stable is rolled back, and one failing exactly as often is promoted. Both rollouts
 * run side by side on one sandbox (two namespaces), so the file costs one analysis' wall time.
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
import type { RolloutRecord } from '../../../src/engine/record';

const SCRAPE_SECONDS = 15;
const BASE_ERROR_RATE = 0.05;
const METRICS = [{ name: 'errors', errorRate: { maxRatio: 1.5, minRequests: 300 } }];
const STEPS = [{ setWeight: 50 }, { analyze: { min: '5s', max: '4m' } }];

describe(`the sequential judge with Prometheus scraping every ${SCRAPE_SECONDS} s`, () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness('scrape15s', { scrapeIntervalSeconds: SCRAPE_SECONDS });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  /** v1 deployed at the base error rate under load, then v2 at `errorRate` rolled out to its end. */
  async function rollout(ns: string, seed: number, errorRate: number): Promise<RolloutRecord> {
    const host = await prepareNamespace(h.sb, ns);
    const plan = (version: string, rate: number) =>
      demoPlan({
        namespace: ns,
        version,
        errorRate: rate,
        steps: STEPS,
        metrics: METRICS,
        progressDeadline: '90s',
        analysis: { interval: '5s' },
      });
    const first = await createRollout(h.deps, plan('v1', BASE_ERROR_RATE));
    expect((await waitForPhase(h.deps, first.id, ['Succeeded', 'Failed'])).phase).toBe('Succeeded');
    const load = new LoadGenerator({ url: h.sb.urls.gateway, host, ratePerSecond: 100, seed });
    load.start();
    try {
      const r = await createRollout(h.deps, plan('v2', errorRate));
      return await waitForPhase(h.deps, r.id, ['Succeeded', 'RolledBack', 'Failed'], 240_000);
    } finally {
      await load.stop();
    }
  }

  it('rolls back a 3× regression and promotes an identical version', async () => {
    const [bad, same] = await Promise.all([
      rollout('scrape-bad', 21, 3 * BASE_ERROR_RATE),
      rollout('scrape-same', 22, BASE_ERROR_RATE),
    ]);
    expect(bad.phase).toBe('RolledBack');
    expect(bad.analysis.metrics.errors?.verdict?.decision).toBe('fail');
    expect(same.phase).toBe('Succeeded');
    expect(same.outcome).toBe('promoted');
    expect(same.analysis.metrics.errors?.verdict?.decision).toBe('pass');
    // The judge decided on aligned windows, not on looks that found nothing new between scrapes.
    for (const r of [bad, same]) {
      const windows = (r.analysis.metrics.errors?.measurements ?? []).filter((m) => m.kind === 'counts');
      expect(windows.length).toBeGreaterThan(0);
    }
  }, 300_000);
});
