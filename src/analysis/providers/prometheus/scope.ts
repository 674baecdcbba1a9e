/**
 * Tenant-scoped PromQL (DESIGN §1, §5), as prom-label-proxy does it: a query is parsed with the
 * Prometheus team's own grammar (@prometheus-io/lezer-promql), refused with its position when it does
 * not parse, and written out again with `namespace="<ns>"` as the one namespace matcher of every vector
 * selector — whatever namespace matchers it had (`=`, `!=`, `=~`, `!~`, quoted or not) are dropped. Every
 * series a query can read then comes from selectors scoped to the rollout's namespace, so no function,
 * operator, offset or subquery can reach another namespace's data. Comments are dropped; the text
 * between selectors is copied as parsed. The result is parsed again and checked before it is used. Pure.
 */
import { parser } from '@prometheus-io/lezer-promql';
import type { SyntaxNode } from '@lezer/common';
import { escapeLabelValue } from './promql';

/** Longest query scoped: plans are limited further (src/plan/limits.ts); this bounds any caller. */
export const MAX_SCOPED_QUERY_LENGTH = 16 * 1024;

/** The label every selector is forced to. */
export const NAMESPACE_LABEL = 'namespace';

export type ScopeResult =
  | { ok: true; query: string }
  | { ok: false; reason: string; position?: { offset: number; line: number; column: number } };

/** Why a query cannot be scoped; carries the offset in the query when there is one. */
class Unscopable extends Error {
  constructor(
    message: string,
    readonly offset?: number,
  ) {
    super(message);
  }
}

const strict = parser.configure({ strict: true });

function lineColumn(text: string, offset: number): { offset: number; line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { offset, line: before.length, column: before[before.length - 1].length + 1 };
}

/** The first syntax error of `text` (its offset), or undefined when it parses. */
function firstError(text: string): number | undefined {
  try {
    strict.parse(text);
    return undefined;
  } catch {
    // The tolerant parse says where: the first error node.
    let at: number | undefined;
    parser.parse(text).iterate({
      enter: (n) => {
        if (at !== undefined) return false;
        if (n.type.isError) at = n.from;
        return undefined;
      },
    });
    return at ?? 0;
  }
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
};

/** A PromQL string literal's value, as Go's strconv.Unquote reads it; throws Unscopable when it cannot be read. */
export function unquotePromString(literal: string, offset = 0): string {
  const quote = literal[0];
  const body = literal.slice(1, -1);
  if (literal.length < 2 || literal[literal.length - 1] !== quote || !['"', "'", '`'].includes(quote))
    throw new Unscopable(`cannot read the string ${literal}`, offset);
  if (quote === '`') return body;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i];
    const hex = (n: number): string => {
      const digits = body.slice(i + 1, i + 1 + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(digits))
        throw new Unscopable(`cannot read the escape in ${literal}`, offset);
      i += n;
      return String.fromCodePoint(parseInt(digits, 16));
    };
    if (e in SIMPLE_ESCAPES) out += SIMPLE_ESCAPES[e];
    else if (e === 'x') out += hex(2);
    else if (e === 'u') out += hex(4);
    else if (e === 'U') out += hex(8);
    else if (e >= '0' && e <= '7' && /^[0-7]{3}$/.test(body.slice(i, i + 3))) {
      out += String.fromCharCode(parseInt(body.slice(i, i + 3), 8));
      i += 2;
    } else throw new Unscopable(`cannot read the escape \\${e ?? ''} in ${literal}`, offset);
  }
  return out;
}

const text = (src: string, n: SyntaxNode): string => src.slice(n.from, n.to);

/** The label a matcher node is about: `LabelName op value` or `"quoted" op value`. */
function matcherLabel(src: string, m: SyntaxNode): string {
  if (m.name === 'UnquotedLabelMatcher') {
    const name = m.getChild('LabelName');
    if (!name) throw new Unscopable('a label matcher without a label name', m.from);
    return text(src, name);
  }
  const quoted = m.getChild('QuotedLabelName')?.getChild('StringLiteral');
  if (!quoted) throw new Unscopable('a label matcher without a label name', m.from);
  return unquotePromString(text(src, quoted), quoted.from);
}

/** The matchers of a selector's braces that stay: every one but the namespace's. */
function keptMatchers(src: string, braces: SyntaxNode | null, emit: (n: SyntaxNode) => string): string[] {
  const kept: string[] = [];
  for (let c = braces?.firstChild ?? null; c; c = c.nextSibling) {
    if (c.name === 'LineComment') continue;
    // `{"metric.name"}`: Prometheus 3's quoted metric name, not a matcher.
    if (c.name === 'QuotedLabelName') kept.push(emit(c));
    else if (c.name === 'UnquotedLabelMatcher' || c.name === 'QuotedLabelMatcher') {
      if (matcherLabel(src, c) !== NAMESPACE_LABEL) kept.push(emit(c));
    } else throw new Unscopable(`unexpected ${c.name} in a selector`, c.from);
  }
  return kept;
}

/** A vector selector with `namespace="<ns>"` as its only namespace matcher. */
function scopedSelector(src: string, sel: SyntaxNode, ns: string, emit: (n: SyntaxNode) => string): string {
  let metric = '';
  for (let c = sel.firstChild; c; c = c.nextSibling) {
    if (c.name === 'Identifier') metric = text(src, c);
    else if (c.name !== 'LabelMatchers' && c.name !== 'LineComment')
      throw new Unscopable(`unexpected ${c.name} in a selector`, c.from);
  }
  const matchers = [
    ...keptMatchers(src, sel.getChild('LabelMatchers'), emit),
    `${NAMESPACE_LABEL}="${escapeLabelValue(ns)}"`,
  ];
  return `${metric}{${matchers.join(', ')}}`;
}

/** `node` written out again with every selector scoped and comments dropped. */
function emitter(src: string, ns: string): (n: SyntaxNode) => string {
  const emit = (node: SyntaxNode): string => {
    if (node.type.isError) throw new Unscopable('not valid PromQL', node.from);
    if (node.name === 'VectorSelector') return scopedSelector(src, node, ns, emit);
    // A comment runs to the end of its line; the line break is outside it and stays.
    if (node.name === 'LineComment') return ' ';
    // A string Go's parser would read differently (an escape it does not know) is refused, not passed on.
    if (node.name === 'StringLiteral') unquotePromString(text(src, node), node.from);
    let out = '';
    let at = node.from;
    for (let c = node.firstChild; c; c = c.nextSibling) {
      out += src.slice(at, c.from) + emit(c);
      at = c.to;
    }
    return out + src.slice(at, node.to);
  };
  return emit;
}

function selectors(query: string): SyntaxNode[] {
  const found: SyntaxNode[] = [];
  strict.parse(query).iterate({
    enter: (n) => {
      if (n.name === 'VectorSelector') found.push(n.node);
    },
  });
  return found;
}

/** The scoped query must parse, with as many selectors as the original, each scoped exactly once. */
function verify(scoped: string, ns: string, selectorCount: number): void {
  const all = selectors(scoped);
  if (all.length !== selectorCount) throw new Unscopable('the scoped query lost or gained a selector');
  for (const sel of all) {
    const matchers = sel.getChild('LabelMatchers');
    const ours = matchers
      ? [...matchers.getChildren('UnquotedLabelMatcher'), ...matchers.getChildren('QuotedLabelMatcher')].filter(
          (m) => matcherLabel(scoped, m) === NAMESPACE_LABEL,
        )
      : [];
    const value = ours[0]?.getChild('StringLiteral');
    const op = ours[0]?.getChild('MatchOp');
    if (
      ours.length !== 1 ||
      !value ||
      text(scoped, op ?? ours[0]) !== '=' ||
      unquotePromString(text(scoped, value)) !== ns
    )
      throw new Unscopable('a selector of the scoped query is not scoped to the namespace', sel.from);
  }
}

/**
 * `query` with every vector selector forced to `namespace="<namespace>"`, or why it cannot be (it does
 * not parse — with the line and column — or a selector cannot be read).
 */
export function scopeQuery(query: string, namespace: string): ScopeResult {
  if (query.length > MAX_SCOPED_QUERY_LENGTH)
    return { ok: false, reason: `the query is longer than ${MAX_SCOPED_QUERY_LENGTH} characters` };
  const bad = firstError(query);
  if (bad !== undefined) {
    const position = lineColumn(query, bad);
    const near = JSON.stringify(query.slice(bad, bad + 20));
    return {
      ok: false,
      reason: `not valid PromQL at line ${position.line}, column ${position.column} (near ${near})`,
      position,
    };
  }
  try {
    const tree = strict.parse(query);
    const top = tree.topNode;
    const scoped = query.slice(0, top.from) + emitter(query, namespace)(top) + query.slice(top.to);
    verify(scoped, namespace, selectors(query).length);
    return { ok: true, query: scoped };
  } catch (e) {
    if (!(e instanceof Unscopable)) throw e;
    const position = e.offset === undefined ? undefined : lineColumn(query, e.offset);
    const where = position ? ` at line ${position.line}, column ${position.column}` : '';
    return { ok: false, reason: `cannot scope the query to its namespace${where}: ${e.message}`, position };
  }
}
