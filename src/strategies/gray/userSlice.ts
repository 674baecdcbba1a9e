/**
 * Gray release's user slices: `percent`% of users, chosen by their id alone and written as a regular
 * expression, because routers (Gateway API RegularExpression matches, ingress-nginx
 * canary-by-header-pattern) cannot hash. An id falls in one bucket, read off its own digits, so the answer
 * for an id never changes (sticky); a slice is the buckets [0, n), so a user in the slice at 5% is in it at
 * every higher percent (monotone); and n over the number of buckets is the exact share of ids covered.
 * Pure: no I/O.
 */

/**
 * How ids are written, and so where their bucket is read.
 * - `uuid`: a canonical UUID (8-4-4-4-12 hex digits, either case); bucket = its first 3 hex digits (4096).
 *   Random (v4) UUIDs only: v1, v6 and v7 start with a timestamp, so their first digits are all alike.
 * - `hex`: 3 or more hex digits, either case, nothing else (a UUID without hyphens, a random token, a hash);
 *   bucket = the first 3 digits (4096).
 * - `decimal`: ASCII digits, e.g. sequential ids; bucket = the last 3 digits (1000), since the low digits of
 *   sequential ids are uniform and the high ones are not. A shorter id counts as left-padded ("7" is 007).
 * - `bucket`: a bucket 0–9999 computed upstream; leading zeros allowed ("0042" is 42); 10000 and above are
 *   in no slice.
 */
export type IdFormat = 'uuid' | 'hex' | 'decimal' | 'bucket';

/** A slice of users as a pattern, and exactly how much of the id space it covers. */
export interface UserSlice {
  /**
   * Full-match semantics (it may hold a top-level `|`: a router that searches wraps it as `^(?:regex)$`).
   * RE2 subset: literals, character classes, `(?:)` groups, alternation and the `? * + {n} {m,} {m,n}`
   * quantifiers; no lookaround, no backreferences, no `.`. An empty slice is `[^\s\S]`, which matches nothing.
   */
  regex: string;
  /** The exact share of well-formed ids it covers, 0..1 (= buckets / of). */
  share: number;
  /** Buckets covered: [0, buckets). */
  buckets: number;
  /** Buckets in all (the format's resolution). */
  of: number;
}

/** Digit strings of one alphabet; `hex` matches either case. */
export type Alphabet = 'decimal' | 'hex';

const LAYOUT: Record<IdFormat, { alphabet: Alphabet; width: number }> = {
  uuid: { alphabet: 'hex', width: 3 },
  hex: { alphabet: 'hex', width: 3 },
  decimal: { alphabet: 'decimal', width: 3 },
  bucket: { alphabet: 'decimal', width: 4 },
};

const RADIX: Record<Alphabet, number> = { decimal: 10, hex: 16 };

/** How many buckets a format's ids fall into: the finest step a slice can take is 100 / resolution percent. */
export function resolution(format: IdFormat): number {
  const { alphabet, width } = LAYOUT[format];
  return RADIX[alphabet] ** width;
}

/** The number of buckets `percent` covers: the nearest whole number, so never off by more than half a bucket. */
export function sliceBuckets(format: IdFormat, percent: number): number {
  if (!Number.isFinite(percent) || percent < 0 || percent > 100) {
    throw new RangeError(`percent must be a number from 0 to 100, got ${percent}`);
  }
  return Math.round((percent * resolution(format)) / 100);
}

/** The bucket an id falls in, or undefined when it is not a well-formed id of the format. */
export function bucketOf(format: IdFormat, id: string): number | undefined {
  switch (format) {
    case 'uuid':
      return isUuid(id) ? parseInt(id.slice(0, 3), 16) : undefined;
    case 'hex':
      return id.length >= 3 && every(id, isHexDigit) ? parseInt(id.slice(0, 3), 16) : undefined;
    case 'decimal':
      return id.length >= 1 && every(id, isDigit) ? Number(id.slice(-3)) : undefined;
    case 'bucket': {
      if (id.length === 0 || !every(id, isDigit)) return undefined;
      let zeros = 0;
      while (zeros < id.length - 1 && id[zeros] === '0') zeros++;
      return id.length - zeros <= 4 ? Number(id.slice(zeros)) : undefined;
    }
  }
}

/** Whether an id is in the slice at `percent`, by arithmetic: the reference the regex must agree with. */
export function inSlice(format: IdFormat, percent: number, id: string): boolean {
  const bucket = bucketOf(format, id);
  return bucket !== undefined && bucket < sliceBuckets(format, percent);
}

/** The slice of `percent`% of the users whose ids are written as `format`. */
export function userSliceRegex(format: IdFormat, percent: number): UserSlice {
  const buckets = sliceBuckets(format, percent);
  const of = resolution(format);
  const regex = buckets === 0 ? NEVER : render(SLICE[format](buckets, LAYOUT[format].width));
  return { regex, share: buckets / of, buckets, of };
}

/** A pattern for the `width`-digit strings whose value is in [lo, hi), in at most 2·width − 1 alternatives. */
export function rangeRegex(lo: number, hi: number, width: number, alphabet: Alphabet): string {
  return lo >= hi ? NEVER : render(range(lo, hi, width, alphabet));
}

// An empty class: valid in RE2, PCRE and JavaScript, and matches no string.
const NEVER = '[^\\s\\S]';

const UUID_HYPHENS = [8, 13, 18, 23];

function isUuid(id: string): boolean {
  if (id.length !== 36) return false;
  return [...id].every((c, i) => (UUID_HYPHENS.includes(i) ? c === '-' : isHexDigit(c)));
}

function every(s: string, test: (c: string) => boolean): boolean {
  return [...s].every(test);
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

function isHexDigit(c: string): boolean {
  return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Each builds the slice [0, n) for ids whose bucket is `width` digits.
const SLICE: Record<IdFormat, (n: number, width: number) => Node> = {
  hex: (n, width) => seq(range(0, n, width, 'hex'), atom(HEX, 0, Infinity)),
  uuid: (n, width) => seq(range(0, n, width, 'hex'), ...uuidRest(width)),
  // Long ids end in the range; shorter ones are the numbers below n written with fewer digits.
  decimal: (n, width) =>
    alt([
      seq(atom(DIGIT, 0, Infinity), range(0, n, width, 'decimal')),
      shortNumbers(Math.min(n, 10 ** (width - 1)), width - 1),
    ]),
  // Leading zeros are absorbed up front, so what follows is a number of at most `width` digits below n.
  bucket: (n, width) => seq(atom('0', 0, Infinity), shortNumbers(n, width)),
};

const DIGIT = '[0-9]';
const HEX = '[0-9a-fA-F]';

/** The rest of a canonical UUID after its first `width` digits. */
function uuidRest(width: number): Node[] {
  const hyphen = atom('-');
  return [
    atom(HEX, 8 - width),
    hyphen,
    atom(HEX, 4),
    hyphen,
    atom(HEX, 4),
    hyphen,
    atom(HEX, 4),
    hyphen,
    atom(HEX, 12),
  ];
}

/**
 * Strings of 1..maxLen digits (leading zeros allowed) whose value is below m, 1 <= m <= 10^maxLen. With
 * 10^k <= m < 10^(k+1): any 1..k digits, or k+1 digits below m, after up to maxLen-k-1 zeros.
 */
function shortNumbers(m: number, maxLen: number): Node {
  let k = 0;
  while (k < maxLen && 10 ** (k + 1) <= m) k++;
  const any = atom(DIGIT, 1, k);
  if (k === maxLen) return any;
  const [first, ...rest] = spans(0, m - 1, k + 1, 10);
  // With k >= 1 the first alternative is [0-a] then k free digits: the shorter numbers fold into it as
  // [0-a]?[0-9]{1,k}.
  const options =
    k === 0
      ? [first, ...rest].map((s) => spanSeq(s, 'decimal'))
      : [seq(opt(spanAtom(first[0], 'decimal')), any), ...rest.map((s) => spanSeq(s, 'decimal'))];
  return seq(atom('0', 0, maxLen - k - 1), alt(options));
}

/** A digit position: the digit values lo..hi, inclusive. */
type Span = readonly [lo: number, hi: number];

function range(lo: number, hi: number, width: number, alphabet: Alphabet): Node {
  return alt(spans(lo, hi - 1, width, RADIX[alphabet]).map((s) => spanSeq(s, alphabet)));
}

/**
 * [lo, hi] (inclusive) as alternatives of per-position spans: split on the leading digit into a ragged low
 * end, a run of whole blocks ([a-b] then free digits) and a ragged high end, recursing into the ragged ends.
 */
function spans(lo: number, hi: number, width: number, radix: number): Span[][] {
  if (width === 0) return [[]];
  const unit = radix ** (width - 1);
  const [dLo, rLo, dHi, rHi] = [Math.floor(lo / unit), lo % unit, Math.floor(hi / unit), hi % unit];
  const under = (d: number, rest: Span[][]): Span[][] => rest.map((r) => [[d, d], ...r]);
  if (dLo === dHi) return under(dLo, spans(rLo, rHi, width - 1, radix));
  const low = rLo === 0 ? [] : under(dLo, spans(rLo, unit - 1, width - 1, radix));
  const high = rHi === unit - 1 ? [] : under(dHi, spans(0, rHi, width - 1, radix));
  const [from, to] = [rLo === 0 ? dLo : dLo + 1, rHi === unit - 1 ? dHi : dHi - 1];
  const free: Span[] = Array.from({ length: width - 1 }, () => [0, radix - 1]);
  const whole: Span[][] = from <= to ? [[[from, to], ...free]] : [];
  return [...low, ...whole, ...high];
}

function spanSeq(s: readonly Span[], alphabet: Alphabet): Node {
  return seq(...s.map((span) => spanAtom(span, alphabet)));
}

function spanAtom([lo, hi]: Span, alphabet: Alphabet): Node {
  if (lo === hi && lo < 10) return atom(String(lo));
  const digits = lo <= 9 ? members(lo, Math.min(hi, 9), false) : '';
  if (alphabet === 'decimal' || hi < 10) return atom(`[${digits}]`);
  const [a, b] = [Math.max(lo, 10), hi];
  // Hex ids come in either case, so every letter range is written twice.
  return atom(`[${digits}${members(a, b, false)}${members(a, b, true)}]`);
}

/** Digit values a..b (of one kind: 0-9 or a-f) as class members: `3`, `34` or `3-7`. */
function members(a: number, b: number, upper: boolean): string {
  const c = (v: number): string => (upper ? v.toString(16).toUpperCase() : v.toString(16));
  if (a === b) return c(a);
  return b === a + 1 ? c(a) + c(b) : `${c(a)}-${c(b)}`;
}

/** A pattern under construction: a class repeated min..max times, a sequence, an alternation, or an optional part. */
type Node =
  | { t: 'atom'; cls: string; min: number; max: number }
  | { t: 'seq'; items: readonly Node[] }
  | { t: 'alt'; options: readonly Node[] }
  | { t: 'opt'; inner: Node };

function atom(cls: string, min = 1, max = min): Node {
  return { t: 'atom', cls, min, max };
}

// Neighbouring repeats of one class merge (X{a,b}X{c,d} is X{a+c,b+d}), which is what keeps patterns short.
function seq(...parts: Node[]): Node {
  const items: Node[] = [];
  for (const part of parts.flatMap((p) => (p.t === 'seq' ? p.items : [p]))) {
    const prev = items[items.length - 1];
    if (prev?.t === 'atom' && part.t === 'atom' && prev.cls === part.cls) {
      items[items.length - 1] = atom(prev.cls, prev.min + part.min, prev.max + part.max);
    } else items.push(part);
  }
  return items.length === 1 ? items[0] : { t: 'seq', items };
}

// Repeats of one class whose counts touch merge too (X{3,}|X{1,2} is X+).
function alt(options: Node[]): Node {
  const merged: Node[] = [];
  for (const o of options.flatMap((p) => (p.t === 'alt' ? p.options : [p]))) {
    const i = merged.findIndex((m) => m.t === 'atom' && o.t === 'atom' && m.cls === o.cls && touch(m, o));
    const m = merged[i];
    if (m?.t === 'atom' && o.t === 'atom') merged[i] = atom(m.cls, Math.min(m.min, o.min), Math.max(m.max, o.max));
    else merged.push(o);
  }
  return merged.length === 1 ? merged[0] : { t: 'alt', options: merged };
}

function touch(a: { min: number; max: number }, b: { min: number; max: number }): boolean {
  return a.min <= b.max + 1 && b.min <= a.max + 1;
}

function opt(inner: Node): Node {
  if (inner.t === 'atom' && inner.min <= 1) return atom(inner.cls, 0, inner.max);
  return inner.t === 'opt' ? inner : { t: 'opt', inner };
}

function render(n: Node): string {
  switch (n.t) {
    case 'atom':
      return renderAtom(n.cls, n.min, n.max);
    case 'seq':
      return n.items.map((i) => (i.t === 'alt' ? `(?:${render(i)})` : render(i))).join('');
    case 'alt':
      return n.options.map(render).join('|');
    case 'opt':
      // Always a group: X{2}? would be a lazy X{2}, not an optional one.
      return `(?:${render(n.inner)})?`;
  }
}

// The shorter of a quantifier and spelling the repeats out (00? rather than 0{1,2}).
function renderAtom(cls: string, min: number, max: number): string {
  const quantified = cls + quantifier(min, max);
  if (max === Infinity) return quantified;
  const spelled = cls.repeat(min) + `${cls}?`.repeat(max - min);
  return spelled.length < quantified.length ? spelled : quantified;
}

function quantifier(min: number, max: number): string {
  if (max === Infinity) return min === 0 ? '*' : min === 1 ? '+' : `{${min},}`;
  if (min === max) return min === 1 ? '' : `{${min}}`;
  return min === 0 && max === 1 ? '?' : `{${min},${max}}`;
}
