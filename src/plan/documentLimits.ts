/**
 * Bounds on a request body's shape, so no body costs the server more than a plan could need: nesting
 * depth and node count, checked on YAML text before it is parsed (one linear pass, no parser) and on
 * any decoded value (JSON or YAML) before it reaches a schema. A 1 MB body of nested flow collections
 * otherwise costs the YAML parser seconds and hundreds of MB; deep JSON overflows recursive code later.
 * Pure.
 */
import type { FieldProblem } from '../errors';

export const DOCUMENT_LIMITS = {
  /** Collections inside collections. A plan nests about 10 deep. */
  depth: 64,
  /** Collections and scalars (decoded), or collections, entries and lines (YAML text). A plan has a few hundred. */
  nodes: 20_000,
} as const;

function tooDeep(path: string): FieldProblem {
  return { path, message: `nested deeper than ${DOCUMENT_LIMITS.depth} levels` };
}

function tooMany(path: string): FieldProblem {
  return { path, message: `more than ${DOCUMENT_LIMITS.nodes} values` };
}

/**
 * Refuses YAML text whose flow collections nest too deep or which has too many structural tokens,
 * without parsing it. Over-counts rather than under-counts (a comma inside a plain scalar counts), and
 * skips quoted scalars and comments as a YAML reader would; the parse that follows has a deadline too
 * (src/api/yamlParser.ts), so text that fools this scan still cannot hold the server.
 */
export function scanYamlText(text: string, path = 'body'): FieldProblem | undefined {
  let depth = 0;
  let nodes = 0;
  let lineStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 /* \n */) {
      nodes++;
      lineStart = true;
      continue;
    }
    if (c === 32 || c === 9 || c === 13) continue;
    const before = i === 0 ? 32 : text.charCodeAt(i - 1);
    const atTokenStart = lineStart || isSpace(before) || before === 91 || before === 123 || before === 44;
    lineStart = false;
    if (c === 35 /* # */ && isSpace(before)) {
      const end = text.indexOf('\n', i);
      i = (end < 0 ? text.length : end) - 1;
    } else if ((c === 34 /* " */ || c === 39) /* ' */ && atTokenStart) {
      i = closingQuote(text, i);
    } else if (c === 91 /* [ */ || c === 123 /* { */) {
      nodes++;
      if (++depth > DOCUMENT_LIMITS.depth) return tooDeep(path);
    } else if (c === 93 /* ] */ || c === 125 /* } */) {
      depth = Math.max(0, depth - 1);
    } else if (
      c === 44 /* , */ ||
      (c === 45 /* - */ && atTokenStart) ||
      (c === 58 /* : */ && isSpace(text.charCodeAt(i + 1)))
    ) {
      nodes++;
    }
    if (nodes > DOCUMENT_LIMITS.nodes) return tooMany(path);
  }
  return undefined;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || Number.isNaN(c);
}

/** The index of the quote closing the one at `open` ('' is an escaped ' in single quotes, \" in double). */
function closingQuote(text: string, open: number): number {
  const q = text[open];
  for (let i = open + 1; i < text.length; i++) {
    if (q === '"' && text[i] === '\\') i++;
    else if (text[i] === q) {
      if (q === "'" && text[i + 1] === "'") i++;
      else return i;
    }
  }
  return text.length;
}

/** Refuses a decoded value nested too deep or with too many nodes; iterative, so depth cannot overflow it. */
export function checkValueShape(value: unknown, path = 'body'): FieldProblem | undefined {
  const stack: [unknown, number][] = [[value, 0]];
  let nodes = 0;
  while (stack.length) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (++nodes > DOCUMENT_LIMITS.nodes) return tooMany(path);
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= DOCUMENT_LIMITS.depth) return tooDeep(path);
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return undefined;
}
