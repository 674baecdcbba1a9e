/**
 * Field problems pinned to the plan's text: the line and column of the field (or, for a field that is
 * missing, of the mapping that should hold it), and for a required key that is missing but written
 * somewhere else in the plan, where it went — usually a wrong indent, which YAML reads as a valid but
 * different plan.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Node, type Pair } from 'yaml';
import type { FieldProblem } from '../errors';

interface Located {
  /** The node at the end of the longest prefix of the path that exists. */
  offset: number;
  /** Whether the whole path exists. */
  complete: boolean;
}

/** The problems with line and column where the text has them; a missing key's misplaced copy named. */
export function locateProblems(text: string, problems: readonly FieldProblem[]): FieldProblem[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  if (doc.errors.length || !doc.contents) return [...problems];
  const root = doc.contents;
  return problems.map((p) => {
    const found = locate(root, p.path);
    if (!found) return p;
    const { line, col } = lines.linePos(found.offset);
    const located: FieldProblem = { ...p, line, column: col };
    if (found.complete || !p.message.startsWith('required')) return located;
    const elsewhere = misplacedKey(root, p.path, lines);
    return elsewhere ? { ...located, message: `${p.message}; ${elsewhere}` } : located;
  });
}

/**
 * Follows a problem path (`spec.strategy.canary.steps[1].pause`) through the document. Keys may hold
 * dots (`ramp.dev/app`), so at each mapping the longest key the rest of the path starts with wins.
 */
function locate(root: Node, path: string): Located | undefined {
  let node: unknown = root;
  let offset = rangeStart(root) ?? 0;
  let rest = path;
  while (rest) {
    if (isSeq(node)) {
      const m = /^\[(\d+)\]\.?/.exec(rest);
      const item: unknown = m ? node.items[Number(m[1])] : undefined;
      if (!m || item === undefined) return { offset, complete: false };
      node = item;
      offset = rangeStart(item) ?? offset;
      rest = rest.slice(m[0].length);
    } else if (isMap(node)) {
      const pair = longestKey(node.items, rest);
      if (!pair) return { offset, complete: false };
      const key = String((pair.key as { value: unknown }).value);
      node = pair.value;
      offset = rangeStart(pair.key) ?? offset;
      rest = rest.slice(key.length).replace(/^\./, '');
    } else return { offset, complete: false };
  }
  return { offset, complete: true };
}

function longestKey(items: readonly Pair[], rest: string): Pair | undefined {
  let best: Pair | undefined;
  let bestLength = -1;
  for (const pair of items) {
    if (!isScalar(pair.key)) continue;
    const key = String(pair.key.value);
    const next = rest.charAt(key.length);
    if (rest.startsWith(key) && (next === '' || next === '.' || next === '[') && key.length > bestLength) {
      best = pair;
      bestLength = key.length;
    }
  }
  return best;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range?.[0];
}

/** "found `service:` at spec.template.service (line 15, column 5): check its indentation", or undefined. */
function misplacedKey(root: Node, path: string, lines: LineCounter): string | undefined {
  const name = /([^.[\]]+)$/.exec(path)?.[1];
  if (!name) return undefined;
  let hit: { where: string; offset: number } | undefined;
  visit(root, {
    Pair(_key, pair, ancestry) {
      if (hit || !isScalar(pair.key) || String(pair.key.value) !== name) return;
      const where = pathOf([...ancestry, pair]);
      if (where !== path) hit = { where, offset: rangeStart(pair.key) ?? 0 };
    },
  });
  if (!hit) return undefined;
  const { line, col } = lines.linePos(hit.offset);
  return `found \`${name}:\` at ${hit.where} (line ${line}, column ${col}): check its indentation`;
}

/** The problem-path spelling of where a pair sits: keys joined by dots, sequence items as [i]. */
function pathOf(ancestry: readonly unknown[]): string {
  let out = '';
  for (let i = 0; i < ancestry.length; i++) {
    const node = ancestry[i];
    const child = ancestry[i + 1];
    if (isPair(node) && isScalar(node.key)) {
      const key = String(node.key.value);
      out = out ? `${out}.${key}` : key;
    } else if (isSeq(node) && child !== undefined) out += `[${node.items.indexOf(child as Node)}]`;
  }
  return out;
}
