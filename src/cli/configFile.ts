/**
 * An operator's configuration file (YAML or JSON) read and validated against its zod schema: every
 * problem named with the file and the field, as bad input (exit 2) — never a stack trace.
 */
import { CliUsageError } from '../errors';
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { readOneDocument } from '../plan/document';
import { issuesToProblems } from '../plan/parse';

/** The file at `path` (given with `flag`) parsed by `schema`; CliUsageError listing what is wrong with it. */
export function readConfigFile<T extends z.ZodType>(path: string, flag: string, schema: T): z.output<T> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliUsageError(`${flag} ${path}: cannot read the file: ${(err as Error).message}`, { cause: err });
  }
  const doc = readOneDocument(text);
  const problems = doc.ok ? [] : doc.problems;
  if (doc.ok) {
    const r = schema.safeParse(doc.value);
    if (r.success) return r.data;
    problems.push(...issuesToProblems(r.error.issues));
  }
  const lines = problems.map((p) => `  ${p.path || '(document)'}: ${p.message}`);
  throw new CliUsageError(`${flag} ${path} is not valid:\n${lines.join('\n')}`);
}
