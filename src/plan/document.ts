/**
 * One YAML (or JSON, which is YAML) document read into a plain value, or the problems that stopped it,
 * with line and column. Plans reach Ramp through the API, the CLI and the worker; each wraps the
 * problems in its own error (400 in the API, a plan error elsewhere), but they read text one way.
 */
import { type FieldProblem } from '../errors';
import YAML from 'yaml';

export type DocumentResult = { ok: true; value: unknown } | { ok: false; problems: FieldProblem[] };

/** Alias expansion is capped: a small document must not expand into a huge one ("billion laughs"). */
const MAX_ALIAS_COUNT = 100;

export function readOneDocument(text: string, path = ''): DocumentResult {
  const docs = YAML.parseAllDocuments(text, { prettyErrors: true });
  if (!Array.isArray(docs)) return { ok: false, problems: [{ path, message: 'not valid YAML or JSON' }] };
  if (docs.length === 0 || (docs.length === 1 && docs[0].contents === null))
    return { ok: false, problems: [{ path, message: 'the plan is empty' }] };
  if (docs.length > 1)
    return { ok: false, problems: [{ path, message: `expected one plan document, found ${docs.length}` }] };
  const doc = docs[0];
  if (doc.errors.length) {
    return {
      ok: false,
      problems: doc.errors.map((e) => ({
        path,
        message: `not valid YAML or JSON${e.linePos ? ` (line ${e.linePos[0].line}, column ${e.linePos[0].col})` : ''}: ${e.message.split('\n')[0]}`,
      })),
    };
  }
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
  } catch (err) {
    return {
      ok: false,
      problems: [{ path, message: `cannot be read as plain data: ${(err as Error).message.split('\n')[0]}` }],
    };
  }
}
