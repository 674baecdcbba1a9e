/** Combining metric verdicts: the canary is as good as its worst metric. */
import { combineVerdicts } from '../../../src/analysis/verdict';
import type { Decision, Verdict } from '../../../src/analysis/types';

const v = (metric: string, decision: Decision, reason = `${metric} says ${decision}`): Verdict => ({
  metric,
  decision,
  reason,
  evidence: {},
});

describe('combineVerdicts', () => {
  it('fails when any metric fails, naming it and why', () => {
    const r = combineVerdicts([
      v('latency', 'pass'),
      v('errors', 'fail', 'canary error rate 5%'),
      v('depth', 'inconclusive'),
    ]);
    expect(r.decision).toBe('fail');
    expect(r.reason).toContain('errors');
    expect(r.reason).toContain('canary error rate 5%');
    expect(r.reason).not.toContain('latency');
  });

  it('is inconclusive when none failed and any is inconclusive', () => {
    expect(combineVerdicts([v('a', 'pass'), v('b', 'inconclusive'), v('c', 'continue')])).toMatchObject({
      decision: 'inconclusive',
      reason: expect.stringContaining('b'),
    });
  });

  it('passes only when all pass, else continues', () => {
    expect(combineVerdicts([v('a', 'pass'), v('b', 'pass')]).decision).toBe('pass');
    expect(combineVerdicts([v('a', 'pass'), v('b', 'continue')])).toMatchObject({
      decision: 'continue',
      reason: 'waiting on b (passed: a)',
    });
  });

  it('passes with no metrics: nothing to judge', () => {
    expect(combineVerdicts([])).toEqual({ decision: 'pass', reason: 'no metrics to judge' });
  });
});
