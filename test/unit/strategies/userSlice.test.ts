/**
 * Gray release's user slices, checked over the whole id space: for every bucket of every format, at fixed
 * and random percents, the regex (full-matched, as a router runs it) agrees with the arithmetic `inSlice`,
 * and both agree with the bucket this test built the id from.
 */
import fc from 'fast-check';
import {
  bucketOf,
  IdFormat,
  inSlice,
  rangeRegex,
  resolution,
  sliceBuckets,
  userSliceRegex,
} from '../../../src/strategies/gray/userSlice';

const SEED = 42;
const FORMATS: IdFormat[] = ['uuid', 'hex', 'decimal', 'bucket'];
const PERCENTS = [0, 0.01, 0.5, 1, 5, 10, 25, 33.3, 50, 99, 99.99, 100];

/** An id, and the bucket it was built from (undefined: malformed, so in no slice at any percent). */
type Case = readonly [id: string, bucket: number | undefined];

/** mulberry32: a seeded PRNG, so every run builds the same ids. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = prng(SEED);
const below = (n: number): number => Math.floor(random() * n);
const draw = (alphabet: string, length: number): string =>
  Array.from({ length }, () => alphabet[below(alphabet.length)]).join('');
const HEX_ANY_CASE = '0123456789abcdefABCDEF';
const mixedCase = (s: string): string => [...s].map((c) => (random() < 0.5 ? c.toUpperCase() : c)).join('');

// The three spellings of each 3-digit prefix: lower, upper and mixed case.
function prefixes(bucket: number): string[] {
  const lower = bucket.toString(16).padStart(3, '0');
  return [lower, lower.toUpperCase(), mixedCase(lower)];
}

function uuidTail(): string {
  const h = (n: number): string => draw(HEX_ANY_CASE, n);
  return `${h(5)}-${h(4)}-${h(4)}-${h(4)}-${h(12)}`;
}

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
const MALFORMED_UUIDS = [
  '',
  ZERO_UUID.slice(1),
  ZERO_UUID + '0',
  ZERO_UUID.replace(/-/g, ''),
  `{${ZERO_UUID}}`,
  `urn:uuid:${ZERO_UUID}`,
  ` ${ZERO_UUID}`,
  `${ZERO_UUID} `,
  ZERO_UUID.slice(0, 35) + 'g',
  '000000000-000-0000-0000-000000000000',
  ZERO_UUID.replace(/-/g, '_'),
];

function uuidCases(): Case[] {
  const cases: Case[] = [];
  for (let b = 0; b < 4096; b++) for (const p of prefixes(b)) cases.push([p + uuidTail(), b]);
  return [...cases, ...MALFORMED_UUIDS.map((id): Case => [id, undefined])];
}

const MALFORMED_HEX = ['', '0', 'ab', 'abz', '0x123', 'fff-', ZERO_UUID, ' abc', 'abc ', 'ａｂｃ', 'abcg', '-abc'];

function hexCases(): Case[] {
  const cases: Case[] = [];
  for (let b = 0; b < 4096; b++) for (const p of prefixes(b)) cases.push([p + draw(HEX_ANY_CASE, below(30)), b]);
  return [...cases, ...MALFORMED_HEX.map((id): Case => [id, undefined])];
}

const NOT_DECIMAL = ['', '-1', '+1', '1.0', ' 1', '1 ', '1e3', '12a', '0x10', '١٢٣', '１２３', 'Ⅻ'];

function decimalCases(): Case[] {
  const cases: Case[] = [];
  // Every id below 100000: all 1000 trailing values under 100 different higher parts, and the short ids 0..99.
  for (let v = 0; v < 100000; v++) cases.push([String(v), v % 1000]);
  for (let t = 0; t < 1000; t++) cases.push([draw('0123456789', 7 + below(12)) + String(t).padStart(3, '0'), t]);
  // Short ids with leading zeros count as the number they spell.
  for (let v = 0; v < 100; v++) cases.push([`0${v}`, v], [`00${v}`, v]);
  cases.push(['0000000', 0], ['0001007', 7]);
  return [...cases, ...NOT_DECIMAL.map((id): Case => [id, undefined])];
}

const NOT_BUCKETS = ['99999', '123456', '010000', '0099999', '-1', '-0', '+1', '1.5', ' 1', '1 ', '１', '0x1'];

function bucketCases(): Case[] {
  const cases: Case[] = [];
  for (let v = 0; v < 10000; v++) {
    cases.push([String(v), v], [String(v).padStart(4, '0'), v], [String(v).padStart(7, '0'), v]);
  }
  for (let v = 10000; v < 11000; v++) cases.push([String(v), undefined]);
  return [...cases, ...NOT_BUCKETS.map((id): Case => [id, undefined])];
}

const CASES: Record<IdFormat, Case[]> = {
  uuid: uuidCases(),
  hex: hexCases(),
  decimal: decimalCases(),
  bucket: bucketCases(),
};

/** The pattern as a router that full-matches runs it. */
function fullMatch(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`);
}

/**
 * Where the regex, the arithmetic and the bucket the id was built from disagree (the first few); and
 * whether the slice is exactly the buckets [0, n): every bucket below n matched, none above.
 */
function disagreements(format: IdFormat, percent: number): string[] {
  const slice = userSliceRegex(format, percent);
  const re = fullMatch(slice.regex);
  const bad: string[] = [];
  const covered = new Set<number>();
  for (const [id, bucket] of CASES[format]) {
    const expected = bucket !== undefined && bucket < slice.buckets;
    const [arithmetic, matched] = [inSlice(format, percent, id), re.test(id)];
    if (matched && bucket !== undefined) covered.add(bucket);
    if (arithmetic !== expected || matched !== expected) {
      bad.push(
        `${JSON.stringify(id)} (bucket ${bucket}): expected ${expected}, inSlice ${arithmetic}, regex ${matched}`,
      );
    }
    if (bad.length === 5) break;
  }
  if (covered.size !== slice.buckets) bad.push(`the regex covers ${covered.size} buckets, not ${slice.buckets}`);
  return bad;
}

const anyPercent = fc.double({ min: 0, max: 100, noNaN: true });

describe('user slices over the whole id space', () => {
  describe.each(FORMATS)('%s', (format) => {
    it.each(PERCENTS)('at %p%% the regex matches exactly the ids inSlice admits, and those are buckets [0, n)', (p) => {
      expect(disagreements(format, p)).toEqual([]);
    });

    it('agrees at random percents, and at percents on and halfway between bucket boundaries', () => {
      const of = resolution(format);
      const boundary = fc.integer({ min: 0, max: 2 * of }).map((k) => Math.min(100, (k * 50) / of));
      fc.assert(
        fc.property(fc.oneof(anyPercent, boundary), (p) => {
          expect(disagreements(format, p)).toEqual([]);
        }),
        { seed: SEED, numRuns: format === 'decimal' ? 12 : 25 },
      );
    });
  });
});

describe('monotone and sticky', () => {
  it('an id in the slice at p is in it at every q >= p, by inSlice and by the regex', () => {
    fc.assert(
      fc.property(fc.constantFrom(...FORMATS), anyPercent, anyPercent, fc.nat(), (format, a, b, i) => {
        const [p, q] = a <= b ? [a, b] : [b, a];
        const [id] = CASES[format][i % CASES[format].length];
        if (inSlice(format, p, id)) expect(inSlice(format, q, id)).toBe(true);
        if (fullMatch(userSliceRegex(format, p).regex).test(id)) {
          expect(fullMatch(userSliceRegex(format, q).regex).test(id)).toBe(true);
        }
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it('the slices at rising percents are nested, for every id of a sample', () => {
    for (const format of FORMATS) {
      const sample = CASES[format].filter((_, i) => i % 37 === 0);
      let previous = new Set<string>();
      for (let p = 0; p <= 100; p += 0.5) {
        const re = fullMatch(userSliceRegex(format, p).regex);
        const now = new Set(sample.filter(([id]) => re.test(id)).map(([id]) => id));
        expect([...previous].filter((id) => !now.has(id))).toEqual([]);
        previous = now;
      }
    }
  });

  it('the same id always gets the same bucket, whatever the case of its hex digits', () => {
    const id = '3fA9c2e1-0b7d-4c1e-9f00-1234567890ab';
    expect(bucketOf('uuid', id)).toBe(0x3fa);
    expect(bucketOf('uuid', id.toUpperCase())).toBe(0x3fa);
    expect(bucketOf('hex', id.replace(/-/g, '').toLowerCase())).toBe(0x3fa);
  });
});

describe('share', () => {
  it('is buckets / resolution, within half a bucket of the percent asked for', () => {
    fc.assert(
      fc.property(fc.constantFrom(...FORMATS), fc.oneof(anyPercent, fc.constantFrom(...PERCENTS)), (format, p) => {
        const slice = userSliceRegex(format, p);
        expect(slice.of).toBe(resolution(format));
        expect(slice.buckets).toBe(sliceBuckets(format, p));
        expect(slice.share).toBe(slice.buckets / slice.of);
        expect(Math.abs(slice.share - p / 100)).toBeLessThanOrEqual(1 / (2 * slice.of) + 1e-12);
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it('covers nothing at 0 and everything at 100', () => {
    for (const format of FORMATS) {
      expect(userSliceRegex(format, 0)).toMatchObject({ buckets: 0, share: 0 });
      expect(userSliceRegex(format, 100)).toMatchObject({ buckets: resolution(format), share: 1 });
    }
  });

  it('has the documented resolutions', () => {
    expect(FORMATS.map(resolution)).toEqual([4096, 4096, 1000, 10000]);
    expect(userSliceRegex('uuid', 1)).toMatchObject({ buckets: 41, of: 4096 });
    expect(userSliceRegex('decimal', 33.3)).toMatchObject({ buckets: 333, of: 1000 });
    expect(userSliceRegex('bucket', 0.01)).toMatchObject({ buckets: 1, of: 10000 });
  });

  it('refuses a percent outside 0..100, naming it', () => {
    for (const p of [-0.01, 100.01, NaN, Infinity]) {
      expect(() => userSliceRegex('uuid', p)).toThrow(
        new RangeError(`percent must be a number from 0 to 100, got ${p}`),
      );
      expect(() => inSlice('decimal', p, '7')).toThrow(RangeError);
    }
  });

  // The acceptance: 10% of users by uuid is 10% of distinct users, within a point.
  it('sends 10% of 5000 random v4 uuids to the slice, within 1 point', () => {
    const next = prng(SEED);
    const hex = (): string => Math.floor(next() * 16).toString(16);
    const v4 = (): string => {
      const d = Array.from({ length: 32 }, hex);
      d[12] = '4';
      d[16] = '89ab'[Math.floor(next() * 4)];
      const s = d.join('');
      return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
    };
    const users = new Set<string>();
    while (users.size < 5000) users.add(v4());
    for (const p of [1, 10, 50]) {
      const re = fullMatch(userSliceRegex('uuid', p).regex);
      const byRegex = [...users].filter((u) => re.test(u)).length / users.size;
      const byArithmetic = [...users].filter((u) => inSlice('uuid', p, u)).length / users.size;
      expect(byRegex).toBe(byArithmetic);
      expect(Math.abs(byRegex - p / 100)).toBeLessThanOrEqual(0.01);
    }
  });

  // Why 3 trailing digits for decimal ids: N consecutive ids miss the share by at most n(B-n)/(B*N), which
  // for B = 10000 would put ids 1..5000 at 20% when 10% is asked for.
  it('sends p% of N consecutive decimal ids, within n(B-n)/(B*N) of p', () => {
    const B = resolution('decimal');
    for (const [start, N] of [
      [1, 1000],
      [1, 5000],
      [12345, 2500],
      [987654321, 20000],
    ]) {
      const ids = Array.from({ length: N }, (_, i) => String(start + i));
      for (const p of PERCENTS) {
        const { regex, buckets: n, share } = userSliceRegex('decimal', p);
        const re = fullMatch(regex);
        const got = ids.filter((id) => re.test(id)).length / N;
        expect(Math.abs(got - share)).toBeLessThanOrEqual((n * (B - n)) / (B * N) + 1e-12);
      }
    }
    const first5000 = Array.from({ length: 5000 }, (_, i) => String(i + 1));
    expect(Math.abs(first5000.filter((id) => inSlice('decimal', 10, id)).length / 5000 - 0.1)).toBeLessThanOrEqual(
      0.01,
    );
  });
});

describe('ids at the edges', () => {
  it.each([
    ['decimal', 10, '7', true], // 007
    ['decimal', 10, '07', true],
    ['decimal', 10, '1007', true],
    ['decimal', 10, '1100', false],
    ['decimal', 10, '99', true], // 099
    ['decimal', 100, '-1', false],
    ['bucket', 1, '42', true],
    ['bucket', 1, '0042', true],
    ['bucket', 1, '01', true],
    ['bucket', 1, '100', false],
    ['bucket', 100, '9999', true],
    ['bucket', 100, '10000', false],
    ['bucket', 100, '-1', false],
    ['hex', 100, 'ab', false], // too short to have a bucket
    ['uuid', 100, ZERO_UUID.replace(/-/g, ''), false], // a hyphenless uuid is `hex`
  ] as const)('%s at %p%%: %p is in the slice: %p', (format, p, id, expected) => {
    expect(inSlice(format, p, id)).toBe(expected);
    expect(fullMatch(userSliceRegex(format, p).regex).test(id)).toBe(expected);
  });

  it('the empty slice matches no string at all', () => {
    const re = fullMatch(userSliceRegex('hex', 0).regex);
    for (const s of ['', '0', 'a', ' ', '\n', ZERO_UUID, '[^\\s\\S]']) expect(re.test(s)).toBe(false);
  });
});

/**
 * Whether a pattern uses only what RE2, PCRE and JavaScript read alike: literal digits, letters and '-',
 * classes of those (or the empty class), (?:) groups, | and greedy quantifiers; nothing else.
 */
function re2Subset(pattern: string): boolean {
  const token = /\(\?:|\)|\||\[\^\\s\\S\]|\[(?:[0-9a-zA-Z](?:-[0-9a-zA-Z])?)+\]|[0-9a-zA-Z-]|[?*+]|\{\d+(?:,\d*)?\}/y;
  let [depth, previous] = [0, 'start'];
  while (token.lastIndex < pattern.length) {
    const at = token.lastIndex;
    const m = token.exec(pattern);
    if (!m) return false;
    const kind =
      m[0] === '(?:'
        ? 'open'
        : m[0] === ')'
          ? 'close'
          : m[0] === '|'
            ? 'bar'
            : /^[?*+{]/.test(m[0])
              ? 'quantifier'
              : 'atom';
    // A quantifier applies to an atom or a group, never to another quantifier (X{2}? would be lazy).
    if (kind === 'quantifier' && previous !== 'atom' && previous !== 'close') return false;
    depth += kind === 'open' ? 1 : kind === 'close' ? -1 : 0;
    if (depth < 0 || token.lastIndex === at) return false;
    previous = kind;
  }
  return depth === 0;
}

describe('patterns', () => {
  // Every bucket count of every format, not only the percents above: the same syntax, short, and no lookaround.
  it.each(FORMATS)('%s: every possible slice is in the RE2 subset, compiles and stays short', (format) => {
    const of = resolution(format);
    let longest = 0;
    for (let n = 0; n <= of; n++) {
      const slice = userSliceRegex(format, (n * 100) / of);
      expect(slice.buckets).toBe(n);
      if (!re2Subset(slice.regex)) throw new Error(`not in the RE2 subset: ${slice.regex}`);
      expect(slice.regex).not.toMatch(/\(\?[=!<]|\\[1-9k]/);
      expect(() => fullMatch(slice.regex)).not.toThrow();
      longest = Math.max(longest, slice.regex.length);
    }
    // Far below Gateway API's 4096-character limit on a header match value.
    expect(longest).toBeLessThanOrEqual({ uuid: 151, hex: 88, decimal: 54, bucket: 59 }[format]);
  });

  it('the validator itself refuses lookaround, backreferences, lazy quantifiers and dots', () => {
    for (const bad of ['(?=a)a', '(a)\\1', 'a{2}?', 'a.*', '(a)', '[a-z]+?', 'a|(?:b'])
      expect(re2Subset(bad)).toBe(false);
    expect(re2Subset('(?:0[0-9a-fA-F]{2}|1[0-8][0-9a-fA-F])[0-9a-fA-F]*|0?[0-9]')).toBe(true);
  });
});

describe('rangeRegex', () => {
  const strings = (width: number, radix: number): string[] =>
    Array.from({ length: radix ** width }, (_, v) => v.toString(radix).padStart(width, '0'));

  it('matches exactly the 2-digit decimals in [lo, hi), for every lo <= hi', () => {
    const all = strings(2, 10);
    for (let lo = 0; lo <= 100; lo++) {
      for (let hi = lo; hi <= 100; hi++) {
        const re = fullMatch(rangeRegex(lo, hi, 2, 'decimal'));
        const wrong = all.filter((s) => re.test(s) !== (Number(s) >= lo && Number(s) < hi));
        if (wrong.length > 0)
          throw new Error(`[${lo}, ${hi}): ${rangeRegex(lo, hi, 2, 'decimal')} is wrong on ${wrong}`);
      }
    }
  });

  it('matches exactly the 3-digit hex strings in [lo, hi), in either case, with at most 5 alternatives', () => {
    const all = strings(3, 16);
    fc.assert(
      fc.property(fc.nat(4096), fc.nat(4096), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const pattern = rangeRegex(lo, hi, 3, 'hex');
        const re = fullMatch(pattern);
        const wrong = all.filter((s) => re.test(s) !== (parseInt(s, 16) >= lo && parseInt(s, 16) < hi));
        expect(wrong).toEqual([]);
        expect(all.filter((s) => re.test(s.toUpperCase()) !== re.test(s))).toEqual([]);
        expect(pattern.split('|').length).toBeLessThanOrEqual(5);
      }),
      { seed: SEED, numRuns: 200 },
    );
  });
});
