/**
 * All of Ramp's PromQL, built in one place: the built-in metrics' counter queries and the templating of
 * a plan's queries. User values (app, namespace, revisions) reach a query only escaped for the place
 * they land in — a quoted string, a regex matcher's string, or (selectors) between braces. Pure.
 */
import { PlanValidationError } from '../../../errors';
import type { RevisionTarget } from '../../revisionSeries';
import type { TemplateVars } from '../metricProvider';

export type { TemplateVars } from '../metricProvider';

const NAMED_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
// RE2's metacharacters: exactly what Go's regexp.QuoteMeta escapes.
const RE2_META = /[\\.+*?()|[\]{}^$]/g;
// Lone UTF-16 surrogates have no UTF-8 form; U+FFFD as a literal is refused by Prometheus' lexer
// ("invalid UTF-8 rune"), so both are written as the escape \uFFFD.
const UNSAFE = /[\u0000-\u001f\u007f\\\ufffd]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function hex2(c: string): string {
  return c.charCodeAt(0).toString(16).padStart(2, '0');
}

/**
 * `s` as the inside of a PromQL string quoted with `quote` (default `"`): Prometheus unquotes it back
 * to exactly `s` (a lone surrogate, which has no UTF-8 form, comes back as U+FFFD).
 */
export function escapeLabelValue(s: string, quote: '"' | "'" = '"'): string {
  const escaped = s.replace(UNSAFE, (c) => {
    if (NAMED_ESCAPES[c]) return NAMED_ESCAPES[c];
    if (c.length === 1 && c.charCodeAt(0) < 0x80) return `\\x${hex2(c)}`;
    return '\\uFFFD';
  });
  return escaped.split(quote).join(`\\${quote}`);
}

/** A regex (RE2, as Prometheus' `=~`) that matches exactly the literal `s`. */
export function escapeRegex(s: string): string {
  return s.replace(RE2_META, (c) => `\\${c}`);
}

function checkLabelName(label: string): void {
  if (!LABEL_NAME.test(label)) {
    throw new PlanValidationError([
      {
        path: 'spec.analysis.revisionLabel',
        message: `expected a Prometheus label name, got ${JSON.stringify(label)}`,
      },
    ]);
  }
}

/**
 * The label matchers (no braces) selecting the pods of any of `revisions`: by pod name
 * `<app>-<revision>-<suffix>` (DESIGN §5) or, with `revisionLabel`, by that label.
 */
export function revisionsSelector(opts: {
  namespace: string;
  app: string;
  revisions: readonly string[];
  revisionLabel?: string;
}): string {
  if (opts.revisions.length === 0) throw new Error('revisionsSelector needs at least one revision');
  const ns = `namespace="${escapeLabelValue(opts.namespace)}"`;
  const alternatives = opts.revisions.map(escapeRegex);
  const one = alternatives.length === 1 ? alternatives[0] : `(?:${alternatives.join('|')})`;
  if (opts.revisionLabel !== undefined) {
    checkLabelName(opts.revisionLabel);
    if (opts.revisions.length === 1) return `${ns},${opts.revisionLabel}="${escapeLabelValue(opts.revisions[0])}"`;
    return `${ns},${opts.revisionLabel}=~"${escapeLabelValue(one)}"`;
  }
  return `${ns},pod=~"${escapeLabelValue(`${escapeRegex(opts.app)}-${one}-.+`)}"`;
}

/** The label matchers (no braces) selecting one revision's pods: `namespace="shop",pod=~"checkout-abc123-.+"`. */
export function revisionSelector(opts: {
  namespace: string;
  app: string;
  revision: string;
  revisionLabel?: string;
}): string {
  return revisionsSelector({
    namespace: opts.namespace,
    app: opts.app,
    revisions: [opts.revision],
    revisionLabel: opts.revisionLabel,
  });
}

/** Milliseconds as a PromQL duration Prometheus 2.x accepts: `5s`, `1500ms`. */
export function promDuration(ms: number): string {
  const whole = Math.max(1, Math.round(ms));
  return whole % 1000 === 0 ? `${whole / 1000}s` : `${whole}ms`;
}

type Context = 'code' | 'string' | 'regex' | 'raw' | 'comment';

interface Placeholder {
  /** A value pasted as string contents (escaped for the string's quote, and for a regex matcher's). */
  value?: () => string;
  /** A fragment of PromQL that goes between braces (a selector) or anywhere in code (a duration). */
  code?: () => string;
  /** Also allowed inside a string (a duration is plain text). */
  codeInStrings?: boolean;
}

function placeholders(vars: TemplateVars): Record<string, Placeholder> {
  const stable = (): string => {
    if (vars.stableRevision === undefined)
      throw new Error('there is no stable revision yet (a first deploy has nothing to compare with)');
    return vars.stableRevision;
  };
  const selector = (revision: () => string) => () =>
    revisionSelector({
      namespace: vars.namespace,
      app: vars.app,
      revision: revision(),
      revisionLabel: vars.revisionLabel,
    });
  return {
    app: { value: () => vars.app },
    namespace: { value: () => vars.namespace },
    'canary.revision': { value: () => vars.canaryRevision },
    'stable.revision': { value: stable },
    'canary.selector': { code: selector(() => vars.canaryRevision) },
    'stable.selector': { code: selector(stable) },
    interval: { code: () => promDuration(vars.intervalMs), codeInStrings: true },
  };
}

/** The names renderQuery fills in, for messages and docs. */
export const PLACEHOLDERS = [
  'app',
  'namespace',
  'canary.revision',
  'stable.revision',
  'canary.selector',
  'stable.selector',
  'interval',
] as const;

function fill(name: string, p: Placeholder, ctx: Context, quote: '"' | "'"): string {
  if (ctx === 'raw')
    throw new Error(`{{${name}}} is inside a \`raw\` string, which cannot escape values: use double quotes`);
  if (p.code) {
    if (ctx === 'code' || p.codeInStrings) return p.code();
    throw new Error(
      `{{${name}}} is label matchers: put it between braces, like metric{ {{${name}}} }, not inside a string`,
    );
  }
  const value = (p.value as () => string)();
  if (ctx === 'code') throw new Error(`{{${name}}} must be inside a quoted string, like label="{{${name}}}"`);
  return escapeLabelValue(ctx === 'regex' ? escapeRegex(value) : value, quote);
}

/** Whether the string opening at `at` is the right-hand side of a regex matcher (`=~` or `!~`). */
function opensRegex(template: string, at: number): boolean {
  const before = template.slice(0, at).trimEnd();
  return before.endsWith('=~') || before.endsWith('!~');
}

const PLACEHOLDER = /\{\{([^{}]*)\}\}/y;

/** Where the scanner is: in code, a comment, or a string opened with `quote`. */
interface ScanState {
  ctx: Context;
  quote: '"' | "'" | '`';
}

/** Copies the text at `i` (a character, or an escape inside a string) and moves the state on. */
function advance(template: string, i: number, st: ScanState): { text: string; next: number } {
  const c = template[i];
  if (st.ctx === 'comment') {
    if (c === '\n') st.ctx = 'code';
  } else if (st.ctx === 'code') {
    if (c === '#') st.ctx = 'comment';
    else if (c === '"' || c === "'" || c === '`') {
      st.quote = c;
      st.ctx = c === '`' ? 'raw' : opensRegex(template, i) ? 'regex' : 'string';
    }
  } else if (c === '\\' && st.ctx !== 'raw' && i + 1 < template.length) {
    return { text: template.slice(i, i + 2), next: i + 2 };
  } else if (c === st.quote) {
    st.ctx = 'code';
  }
  return { text: c, next: i + 1 };
}

/**
 * Fills `{{app}}`, `{{namespace}}`, `{{canary.revision}}`, `{{stable.revision}}` (inside quoted
 * strings: escaped, and regex-escaped in a `=~`/`!~` matcher), `{{canary.selector}}`,
 * `{{stable.selector}}` (between braces) and `{{interval}}` (a PromQL duration). Placeholders in
 * comments stay as written. Throws PlanValidationError (at `opts.path`) naming an unknown or
 * misplaced placeholder.
 */
export function renderQuery(template: string, vars: TemplateVars, opts: { path?: string } = {}): string {
  const known = placeholders(vars);
  const refuse = (message: string) => new PlanValidationError([{ path: opts.path ?? '', message }]);
  const st: ScanState = { ctx: 'code', quote: '"' };
  let out = '';
  for (let i = 0; i < template.length;) {
    PLACEHOLDER.lastIndex = i;
    const m = PLACEHOLDER.exec(template);
    if (!m) {
      const { text, next } = advance(template, i, st);
      out += text;
      i = next;
      continue;
    }
    const name = m[1].trim();
    const p = Object.prototype.hasOwnProperty.call(known, name) ? known[name] : undefined;
    if (!p)
      throw refuse(
        `unknown placeholder {{${name}}}; expected one of ${PLACEHOLDERS.map((n) => `{{${n}}}`).join(', ')}`,
      );
    try {
      out += st.ctx === 'comment' ? m[0] : fill(name, p, st.ctx, st.quote === '`' ? '"' : st.quote);
    } catch (e) {
      if (e instanceof PlanValidationError) throw e;
      throw refuse((e as Error).message);
    }
    i += m[0].length;
  }
  return out;
}

function revisions(t: RevisionTarget): string[] {
  return t.stableRevision !== undefined && t.stableRevision !== t.canaryRevision
    ? [t.canaryRevision, t.stableRevision]
    : [t.canaryRevision];
}

/** The counter series behind each built-in metric. */
export const COUNTER_METRICS = {
  requests: 'http_requests_total',
  latency: 'http_request_duration_seconds_bucket',
} as const;

/** The label a built-in metric's series differ by within a pod: the status code, or the bucket bound. */
const SPLIT_LABEL = { requests: 'code', latency: 'le' } as const;

function selector(t: RevisionTarget, which: readonly string[]): string {
  return revisionsSelector({ namespace: t.namespace, app: t.app, revisions: which, revisionLabel: t.revisionLabel });
}

/**
 * Every series of both revisions, as stored — not summed, so two containers of a pod keep their own
 * resets — with every sample of the last `rangeMs` and its own timestamp: a range selector, so a reset
 * between two looks is seen as increase() sees it.
 */
export function samplesQuery(counters: keyof typeof COUNTER_METRICS, t: RevisionTarget, rangeMs: number): string {
  return `${COUNTER_METRICS[counters]}{${selector(t, revisions(t))}}[${promDuration(rangeMs)}]`;
}

/** Labels the stable's history is kept apart by: the pod (and the revision label if used), and the code or bucket. */
function historyLabels(t: RevisionTarget, counters: keyof typeof COUNTER_METRICS): string {
  const split = SPLIT_LABEL[counters];
  return t.revisionLabel !== undefined ? `${t.revisionLabel}, pod, instance, ${split}` : `pod, ${split}`;
}

/** The stable's increments per pod over the last `lookbackMs` (increase() per series first, then summed by pod). */
export function historyPodsQuery(
  counters: keyof typeof COUNTER_METRICS,
  t: RevisionTarget & { stableRevision: string },
  lookbackMs: number,
): string {
  const series = `${COUNTER_METRICS[counters]}{${selector(t, [t.stableRevision])}}`;
  return `sum by (${historyLabels(t, counters)}) (increase(${series}[${promDuration(lookbackMs)}]))`;
}

/** The stable's increments over one bin of `binMs`, summed over its pods (a range query steps it through the lookback). */
export function historyBinsQuery(
  counters: keyof typeof COUNTER_METRICS,
  t: RevisionTarget & { stableRevision: string },
  binMs: number,
): string {
  const series = `${COUNTER_METRICS[counters]}{${selector(t, [t.stableRevision])}}`;
  return `sum by (${SPLIT_LABEL[counters]}) (increase(${series}[${promDuration(binMs)}]))`;
}
