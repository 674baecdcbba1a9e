/**
 * Query templating: whatever string a user value is, it stays inside its quotes and its regex; what
 * Prometheus reads back is exactly the value.
 */
import { PlanValidationError } from '../../../src/errors';
import fc from 'fast-check';
import {
  escapeLabelValue,
  escapeRegex,
  promDuration,
  renderQuery,
  revisionSelector,
  revisionsSelector,
  type TemplateVars,
} from '../../../src/analysis/providers/prometheus/promql';
import { nastyStrings, parseMatchers, readString, wellFormed } from './promqlSyntax';

const SEED = 20240605;
const RUNS = 2000;

const nasty = nastyStrings;

function anchored(re: string): RegExp {
  // Prometheus anchors matchers as ^(?:re)$; `s` so that `.` is any character, as in RE2 with (?s).
  return new RegExp(`^(?:${re})$`, 'su');
}

function vars(over: Partial<TemplateVars> = {}): TemplateVars {
  return {
    namespace: 'shop',
    app: 'checkout',
    canaryRevision: 'abc123',
    stableRevision: 'def456',
    intervalMs: 5000,
    ...over,
  };
}

describe('escapeLabelValue', () => {
  it('reads back as exactly the value inside double or single quotes, for any string', () => {
    fc.assert(
      fc.property(nasty, fc.constantFrom('"' as const, "'" as const), (s, q) => {
        const literal = `${q}${escapeLabelValue(s, q)}${q}`;
        const read = readString(literal, 0);
        expect(read.end).toBe(literal.length);
        expect(read.value).toBe(wellFormed(s));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('escapes the characters that matter and nothing else', () => {
    expect(escapeLabelValue('a"b\\c\nd\te\r')).toBe('a\\"b\\\\c\\nd\\te\\r');
    expect(escapeLabelValue("it's")).toBe("it's");
    expect(escapeLabelValue("it's", "'")).toBe("it\\'s");
    expect(escapeLabelValue('\0\x1b\x7f')).toBe('\\x00\\x1b\\x7f');
    expect(escapeLabelValue('é😀\ufffd\ud800')).toBe('é😀\\uFFFD\\uFFFD');
  });
});

describe('escapeRegex', () => {
  it('matches exactly the literal and nothing else', () => {
    fc.assert(
      fc.property(nasty, nasty, (s, other) => {
        const re = anchored(escapeRegex(s));
        expect(re.test(s)).toBe(true);
        if (other !== s) expect(re.test(other)).toBe(false);
        expect(re.test(`${s}x`)).toBe(false);
        expect(re.test(`x${s}`)).toBe(false);
        if (s.length > 0) expect(re.test(s.slice(0, -1))).toBe(false);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("escapes RE2's metacharacters like Go's regexp.QuoteMeta", () => {
    expect(escapeRegex('a.b+c*d?e(f)g|h[i]j{k}l^m$n\\o-p')).toBe(
      'a\\.b\\+c\\*d\\?e\\(f\\)g\\|h\\[i\\]j\\{k\\}l\\^m\\$n\\\\o-p',
    );
  });
});

describe('revisionSelector', () => {
  it('is namespace and a pod-name regex, as DESIGN §5 says', () => {
    expect(revisionSelector({ namespace: 'shop', app: 'checkout', revision: 'abc123' })).toBe(
      'namespace="shop",pod=~"checkout-abc123-.+"',
    );
    expect(revisionSelector({ namespace: 'shop', app: 'checkout', revision: 'abc123', revisionLabel: 'rev' })).toBe(
      'namespace="shop",rev="abc123"',
    );
    expect(revisionsSelector({ namespace: 'shop', app: 'checkout', revisions: ['a', 'b'] })).toBe(
      'namespace="shop",pod=~"checkout-(?:a|b)-.+"',
    );
    expect(revisionsSelector({ namespace: 'shop', app: 'checkout', revisions: ['a', 'b'], revisionLabel: 'rev' })).toBe(
      'namespace="shop",rev=~"(?:a|b)"',
    );
  });

  it('refuses a revision label that is not a Prometheus label name', () => {
    expect(() => revisionSelector({ namespace: 'n', app: 'a', revision: 'r', revisionLabel: 'x"}or{y="' })).toThrow(
      PlanValidationError,
    );
  });

  it('never lets any namespace, app or revision out of its quotes or its regex', () => {
    fc.assert(
      fc.property(nasty, nasty, nasty, (namespace, app, revision) => {
        const ms = parseMatchers(revisionSelector({ namespace, app, revision }));
        expect(ms.map((m) => [m.name, m.op])).toEqual([
          ['namespace', '='],
          ['pod', '=~'],
        ]);
        expect(ms[0].value).toBe(wellFormed(namespace));
        const [a, r] = [wellFormed(app), wellFormed(revision)];
        expect(ms[1].value).toBe(`${escapeRegex(a)}-${escapeRegex(r)}-.+`);
        const re = anchored(ms[1].value);
        expect(re.test(`${a}-${r}-x7k2p`)).toBe(true);
        expect(re.test(`${a}-${r}-`)).toBe(false);
        expect(re.test(`${a}x-${r}-x7k2p`)).toBe(false);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('keeps a revision label value exact too', () => {
    fc.assert(
      fc.property(nasty, nasty, (namespace, revision) => {
        const ms = parseMatchers(
          revisionSelector({ namespace, app: 'a', revision, revisionLabel: 'ramp_dev_revision' }),
        );
        expect(ms).toEqual([
          { name: 'namespace', op: '=', value: wellFormed(namespace) },
          { name: 'ramp_dev_revision', op: '=', value: wellFormed(revision) },
        ]);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

/** The matchers between the first `{` and the last `}` of a rendered query. */
function braces(q: string): string {
  return q.slice(q.indexOf('{') + 1, q.lastIndexOf('}'));
}

describe('renderQuery', () => {
  it('fills the DESIGN example with escaped values that read back exactly', () => {
    const template =
      'max(queue_depth{app="{{app}}",ns=\'{{namespace}}\',revision="{{canary.revision}}",old=~"{{stable.revision}}|none"})';
    fc.assert(
      fc.property(nasty, nasty, nasty, nasty, (app, namespace, canaryRevision, stableRevision) => {
        const q = renderQuery(template, vars({ app, namespace, canaryRevision, stableRevision }));
        expect(q.startsWith('max(queue_depth{')).toBe(true);
        expect(q.endsWith('})')).toBe(true);
        const ms = parseMatchers(braces(q));
        expect(ms.slice(0, 3)).toEqual([
          { name: 'app', op: '=', value: wellFormed(app) },
          { name: 'ns', op: '=', value: wellFormed(namespace) },
          { name: 'revision', op: '=', value: wellFormed(canaryRevision) },
        ]);
        // In a regex matcher the value is also regex-escaped: it matches itself literally.
        expect(ms[3]).toEqual({ name: 'old', op: '=~', value: `${escapeRegex(wellFormed(stableRevision))}|none` });
        expect(anchored(ms[3].value).test(wellFormed(stableRevision))).toBe(true);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('puts selectors between braces and the interval as a PromQL duration', () => {
    const q = renderQuery(
      'sum(rate(x{ {{canary.selector}} }[{{interval}}])) / sum(rate(x{{{stable.selector}}}[{{ interval }}]))',
      vars(),
    );
    expect(q).toBe(
      'sum(rate(x{ namespace="shop",pod=~"checkout-abc123-.+" }[5s])) / sum(rate(x{namespace="shop",pod=~"checkout-def456-.+"}[5s]))',
    );
    expect(renderQuery('x{ {{canary.selector}} }', vars({ revisionLabel: 'rev' }))).toBe(
      'x{ namespace="shop",rev="abc123" }',
    );
    expect(promDuration(1500)).toBe('1500ms');
    expect(promDuration(60_000)).toBe('60s');
  });

  it('leaves text without placeholders, escapes inside strings and comments alone', () => {
    const t = 'x{a="\\"{{"} # {{app}} "\nand on() y{b=`raw`}';
    expect(renderQuery(t, vars())).toBe(t);
  });

  it.each([
    ['{{nope}}', 'x{a="{{nope}}"}', /unknown placeholder \{\{nope\}\}/],
    ['a bare value', 'x{a={{app}}}', /\{\{app\}\} must be inside a quoted string/],
    ['a selector in a string', 'x{a="{{canary.selector}}"}', /\{\{canary\.selector\}\} is label matchers/],
    ['a raw string', 'x{a=`{{app}}`}', /raw/],
    ['no stable revision', 'x{a="{{stable.revision}}"}', /no stable revision/],
  ])('refuses %s with a PlanValidationError naming it', (_what, template, message) => {
    const v = vars({ stableRevision: undefined });
    expect(() => renderQuery(template, v, { path: 'spec.analysis.metrics[2].query' })).toThrow(PlanValidationError);
    try {
      renderQuery(template, v, { path: 'spec.analysis.metrics[2].query' });
    } catch (e) {
      expect((e as PlanValidationError).problems[0].path).toBe('spec.analysis.metrics[2].query');
      expect((e as Error).message).toMatch(message);
    }
  });
});
