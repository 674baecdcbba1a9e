/**
 * Reads a plan for `ramp rollout` and `ramp lint`: from a file or stdin (`-f -`), as text, and as a
 * plain YAML/JSON value for the commands that change it before sending (`--image`).
 */
import { CliUsageError, PlanValidationError } from '../errors';
import { readFile } from 'node:fs/promises';
import { readOneDocument } from '../plan/document';

/** The plan's text; `-` reads standard input to its end. */
export async function readPlanText(
  file: string | undefined,
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<string> {
  if (!file) throw new CliUsageError('no plan given: pass -f plan.yaml (or -f - to read it from standard input)');
  if (file === '-') {
    let text = '';
    for await (const chunk of stdin) text += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
    return text;
  }
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliUsageError(
      `-f ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message}`,
      { cause: err },
    );
  }
}

/** One YAML or JSON document as a plain value; syntax errors name the line, like the server's. */
export function parsePlanDocument(text: string): Record<string, unknown> {
  const doc = readOneDocument(text);
  if (!doc.ok) throw new PlanValidationError(doc.problems);
  const value = doc.value;
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new PlanValidationError([
      { path: '', message: 'expected a plan: a mapping with apiVersion, kind, metadata and spec' },
    ]);
  return value as Record<string, unknown>;
}

/** metadata.namespace when the document names one (a string), else undefined. */
export function planNamespace(doc: Record<string, unknown>): string | undefined {
  const ns = asRecord(doc.metadata)?.namespace;
  return typeof ns === 'string' && ns ? ns : undefined;
}

/** metadata.name when the document names one. */
export function planName(doc: Record<string, unknown>): string | undefined {
  const name = asRecord(doc.metadata)?.name;
  return typeof name === 'string' && name ? name : undefined;
}

/** A copy of the document with metadata.namespace set (the server checks it against the URL's). */
export function withNamespace(doc: Record<string, unknown>, ns: string): Record<string, unknown> {
  return { ...doc, metadata: { ...(asRecord(doc.metadata) ?? {}), namespace: ns } };
}

/** `v` when it is a plain mapping, else undefined. */
export function asRecord(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}
