/** Counter increments between two looks: continued series, resets, new and vanished pods. */
import { counterIncrements, DEFAULT_FORGET_AFTER_MS, seriesKey } from '../../../src/analysis/counters';
import { countsFrom, histogramsFrom, roleOf, type RevisionTarget } from '../../../src/analysis/revisionSeries';
import type { Sample } from '../../../src/analysis/types';

const s = (pod: string, code: string, value: number): Sample => ({ labels: { pod, code }, value });
const target: RevisionTarget = { namespace: 'shop', app: 'web', canaryRevision: 'c1', stableRevision: 's1' };

function incrementsByKey(r: ReturnType<typeof counterIncrements>): Record<string, [number, string]> {
  return Object.fromEntries(r.increments.map((i) => [`${i.labels.pod}/${i.labels.code}`, [i.increment, i.kind]]));
}

describe('counterIncrements', () => {
  it('counts the difference of a continued series', () => {
    const first = counterIncrements({}, [s('web-c1-a', '200', 10)], { now: 1000 });
    expect(incrementsByKey(first)).toEqual({ 'web-c1-a/200': [10, 'new'] });
    const second = counterIncrements(first.next, [s('web-c1-a', '200', 25)], { now: 2000 });
    expect(incrementsByKey(second)).toEqual({ 'web-c1-a/200': [15, 'continued'] });
    expect(second.next[seriesKey({ pod: 'web-c1-a', code: '200' })]).toEqual({ value: 25, seenAt: 2000 });
  });

  it('treats a counter that went down as reset and counts its new value', () => {
    const prev = counterIncrements({}, [s('web-c1-a', '200', 100), s('web-c1-a', '500', 7)], { now: 0 }).next;
    const r = counterIncrements(prev, [s('web-c1-a', '200', 4), s('web-c1-a', '500', 9)], { now: 1 });
    expect(incrementsByKey(r)).toEqual({ 'web-c1-a/200': [4, 'reset'], 'web-c1-a/500': [2, 'continued'] });
  });

  it('counts a pod (or a code) new since the last look from zero', () => {
    const prev = counterIncrements({}, [s('web-c1-a', '200', 50)], { now: 0 }).next;
    const r = counterIncrements(prev, [s('web-c1-a', '200', 60), s('web-c1-b', '200', 12), s('web-c1-a', '503', 3)], {
      now: 1,
    });
    expect(incrementsByKey(r)).toEqual({
      'web-c1-a/200': [10, 'continued'],
      'web-c1-b/200': [12, 'new'],
      'web-c1-a/503': [3, 'new'],
    });
  });

  it('drops a gone pod from the increments, remembers it for the lookback, then forgets it', () => {
    const prev = counterIncrements({}, [s('web-c1-a', '200', 50), s('web-c1-b', '200', 70)], { now: 0 }).next;
    const r = counterIncrements(prev, [s('web-c1-a', '200', 55)], { now: 1000 });
    expect(incrementsByKey(r)).toEqual({ 'web-c1-a/200': [5, 'continued'] });
    expect(r.gone).toEqual([seriesKey({ pod: 'web-c1-b', code: '200' })]);
    // It blinked (a missed scrape): it continues from 70, not from zero.
    const back = counterIncrements(r.next, [s('web-c1-a', '200', 55), s('web-c1-b', '200', 72)], { now: 2000 });
    expect(incrementsByKey(back)).toEqual({ 'web-c1-a/200': [0, 'continued'], 'web-c1-b/200': [2, 'continued'] });
    const later = counterIncrements(r.next, [], { now: DEFAULT_FORGET_AFTER_MS + 1 });
    expect(Object.keys(later.next)).toEqual([seriesKey({ pod: 'web-c1-a', code: '200' })]);
    expect(counterIncrements(later.next, [], { now: DEFAULT_FORGET_AFTER_MS + 1001 }).next).toEqual({});
  });

  it('skips values that are not finite and keeps the last good one', () => {
    const prev = counterIncrements({}, [s('web-c1-a', '200', 5)], { now: 0 }).next;
    const r = counterIncrements(prev, [s('web-c1-a', '200', NaN)], { now: 1 });
    expect(r.increments).toEqual([]);
    expect(counterIncrements(r.next, [s('web-c1-a', '200', 8)], { now: 2 }).increments[0].increment).toBe(3);
  });

  it('keys series by their labels in any order, without the metric name', () => {
    expect(seriesKey({ code: '200', pod: 'p', __name__: 'x' })).toBe(seriesKey({ pod: 'p', code: '200' }));
  });
});

describe('per-revision folding', () => {
  it('tells revisions apart by pod name, or by the revision label', () => {
    expect(roleOf({ pod: 'web-c1-x7k2p' }, target)).toBe('canary');
    expect(roleOf({ pod: 'web-s1-x7k2p' }, target)).toBe('stable');
    expect(roleOf({ pod: 'web-other-x7k2p' }, target)).toBeUndefined();
    expect(roleOf({ pod: 'webx-c1-x7k2p' }, target)).toBeUndefined();
    // One revision a prefix of the other: the longer match is the pod's.
    expect(roleOf({ pod: 'web-a-b-x7k2p' }, { ...target, canaryRevision: 'a', stableRevision: 'a-b' })).toBe('stable');
    expect(roleOf({ rev: 'c1', pod: 'anything' }, { ...target, revisionLabel: 'rev' })).toBe('canary');
  });

  it('sums requests and 5xx errors per revision', () => {
    const prev = counterIncrements({}, [s('web-c1-a', '200', 10), s('web-s1-a', '200', 100), s('web-s1-a', '500', 1)], {
      now: 0,
    }).next;
    const r = counterIncrements(
      prev,
      [
        s('web-c1-a', '200', 30),
        s('web-c1-a', '500', 5),
        s('web-c1-a', '404', 2),
        s('web-s1-a', '200', 180),
        s('web-s1-a', '500', 2),
        s('x-y-z', '500', 9),
      ],
      { now: 1 },
    );
    expect(countsFrom(r.increments, target)).toEqual({
      canary: { requests: 27, errors: 5 },
      stable: { requests: 81, errors: 1 },
    });
  });

  it('sums bucket increments per revision, +Inf as the count', () => {
    const b = (pod: string, le: string, value: number): Sample => ({ labels: { pod, le }, value });
    const prev = counterIncrements({}, [b('web-c1-a', '0.1', 5), b('web-c1-a', '+Inf', 6)], { now: 0 }).next;
    const r = counterIncrements(
      prev,
      [
        b('web-c1-a', '0.1', 8),
        b('web-c1-a', '+Inf', 10),
        b('web-c1-b', '0.1', 1),
        b('web-c1-b', '+Inf', 1),
        b('web-c1-b', '0.05', 1),
      ],
      { now: 1 },
    );
    expect(histogramsFrom(r.increments, target)).toEqual({
      canary: {
        buckets: [
          { le: 0.05, count: 1 },
          { le: 0.1, count: 4 },
        ],
        count: 5,
      },
      stable: { buckets: [], count: 0 },
    });
  });
});
