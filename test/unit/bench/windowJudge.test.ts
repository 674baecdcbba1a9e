import { ARGO, FLAGGER, WindowJudge } from '../../../bench/judgement/windowJudge';
import { BUCKETS, LOOK_S, SCENARIOS } from '../../../bench/judgement/scenarios';
import type { Outcome, WindowData } from '../../../bench/judgement/benchJudge';

const scenario = SCENARIOS.find((s) => s.name === 'r2.0')!;
const perMinute = 60 / LOOK_S;

/** Feeds `minutes` of intervals, `bad` ones (5% errors, failing any floor ≥ 95.1%) then good ones; returns the outcome and the interval it came at. */
function run(judge: WindowJudge, minutes: number, badMinutes: number): { outcome?: Outcome; at?: number } {
  const served = { canaryRequests: 0, canaryErrors: 0 };
  for (let i = 0; i < minutes * perMinute; i++) {
    const bad = i < badMinutes * perMinute;
    const iv: WindowData = {
      minute: (i + 1) / perMinute,
      canary: { requests: 100, errors: bad ? 10 : 0 },
      stable: { requests: 900, errors: 9 },
      pods: [],
      shifted: false,
      from: i * LOOK_S * 1000,
      to: (i + 1) * LOOK_S * 1000,
    };
    const outcome = judge.observe(iv, served);
    served.canaryRequests += iv.canary.requests;
    served.canaryErrors += iv.canary.errors;
    if (outcome) return { outcome, at: i + 1 };
  }
  return { outcome: judge.atHorizon(served, minutes) };
}

describe('WindowJudge', () => {
  it('rolls back like Flagger: at the tick after the threshold-th failed check, the canary serving meanwhile', () => {
    const { outcome, at } = run(new WindowJudge(scenario, { ...FLAGGER, latencyBound: Infinity }, BUCKETS), 10, 10);
    expect(outcome).toMatchObject({ rolledBack: true, decided: true });
    // The 5th failed check is at minute 5; the rollback at minute 6, with that minute's errors served too.
    expect(at).toBe(6 * perMinute);
    expect(outcome?.canaryErrors).toBe(6 * perMinute * 10);
  });

  it('rolls back like Argo: as the check that exceeds failureLimit fails', () => {
    const { outcome, at } = run(
      new WindowJudge(scenario, { ...ARGO, floor: 0.99, latencyBound: Infinity }, BUCKETS),
      30,
      30,
    );
    expect(outcome).toMatchObject({ rolledBack: true });
    expect(at).toBe(4 * 5 * perMinute);
  });

  it('rolls back rather than promotes when the horizon comes with a rollback due', () => {
    const { outcome, at } = run(new WindowJudge(scenario, { ...FLAGGER, latencyBound: Infinity }, BUCKETS), 5, 5);
    expect(at).toBeUndefined();
    expect(outcome).toMatchObject({ rolledBack: true });
  });

  it('promotes at the horizon after fewer failed checks than the threshold', () => {
    const { outcome } = run(new WindowJudge(scenario, { ...FLAGGER, latencyBound: Infinity }, BUCKETS), 10, 4);
    expect(outcome).toMatchObject({ rolledBack: false, decided: true });
  });
});
