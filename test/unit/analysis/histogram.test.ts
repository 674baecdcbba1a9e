/** histogram_quantile's arithmetic, checked against values worked out by hand. */
import { addHistograms, histogramQuantile } from '../../../src/analysis/histogram';

// 100 observations: 10 ≤ 0.1 s, 50 ≤ 0.2 s, 90 ≤ 0.5 s, 100 ≤ 1 s.
const h = {
  buckets: [
    { le: 0.1, count: 10 },
    { le: 0.2, count: 50 },
    { le: 0.5, count: 90 },
    { le: 1, count: 100 },
  ],
  count: 100,
};

describe('histogramQuantile', () => {
  it.each([
    // rank 50 is the top of the (0.1, 0.2] bucket.
    [0.5, 0.2],
    // rank 5: half-way through the first bucket, which starts at 0.
    [0.05, 0.05],
    // rank 30: 20 of the 40 in (0.1, 0.2].
    [0.3, 0.15],
    // rank 70: 20 of the 40 in (0.2, 0.5] → 0.2 + 0.3 × 0.5.
    [0.7, 0.35],
    // rank 99: 9 of the 10 in (0.5, 1].
    [0.99, 0.95],
    [1, 1],
  ])('q=%p → %p', (q, expected) => {
    expect(histogramQuantile(q, h)).toBeCloseTo(expected, 12);
  });

  it('answers the highest finite bound when the rank lies in +Inf, like Prometheus', () => {
    expect(
      histogramQuantile(0.99, {
        buckets: [
          { le: 0.1, count: 5 },
          { le: 0.2, count: 6 },
        ],
        count: 10,
      }),
    ).toBe(0.2);
  });

  it('is NaN without observations or buckets, and ±Inf outside [0, 1]', () => {
    expect(histogramQuantile(0.5, { buckets: [{ le: 1, count: 0 }], count: 0 })).toBeNaN();
    expect(histogramQuantile(0.5, { buckets: [], count: 10 })).toBeNaN();
    expect(histogramQuantile(-0.1, h)).toBe(-Infinity);
    expect(histogramQuantile(1.1, h)).toBe(Infinity);
  });

  it('makes dipping counts monotonic first', () => {
    // The 0.2 bucket dipped below 0.1's (a partial reset); it is read as 10.
    const dipped = {
      buckets: [
        { le: 0.1, count: 10 },
        { le: 0.2, count: 8 },
        { le: 0.4, count: 20 },
      ],
      count: 20,
    };
    // rank 15: 5 of the 10 in (0.2, 0.4].
    expect(histogramQuantile(0.75, dipped)).toBeCloseTo(0.3, 12);
  });
});

describe('addHistograms', () => {
  it('adds bucket by bucket, matching by le', () => {
    const a = {
      buckets: [
        { le: 0.1, count: 1 },
        { le: 0.5, count: 3 },
      ],
      count: 4,
    };
    const b = {
      buckets: [
        { le: 0.1, count: 2 },
        { le: 0.25, count: 2 },
        { le: 0.5, count: 5 },
      ],
      count: 6,
    };
    expect(addHistograms([a, b])).toEqual({
      buckets: [
        { le: 0.1, count: 3 },
        { le: 0.25, count: 2 },
        { le: 0.5, count: 8 },
      ],
      count: 10,
    });
    expect(addHistograms([])).toEqual({ buckets: [], count: 0 });
  });
});
