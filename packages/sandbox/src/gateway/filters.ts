/**
 * HTTPRoute filters the sandbox gateway applies: RequestHeaderModifier and ResponseHeaderModifier, at
 * rule level (`rules[].filters`, every request the rule routes) and backendRef level
 * (`rules[].backendRefs[].filters`, only requests sent to that backend) — which is how a route sets a
 * sticky cookie on the canary's answers alone. Other filter types are not implemented: they are ignored
 * and named in the table's problems, never half-applied.
 *
 * Order within one modifier, as Envoy applies it: remove, then set (replaces), then add (appends a
 * value; several values of one header go out as separate lines, which is how Set-Cookie must go). Rule
 * filters run before backendRef filters.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import { z } from 'zod';

/** One header a modifier sets or adds; the name lower case (header names are case-insensitive). */
export interface HeaderValue {
  name: string;
  value: string;
}

/** A compiled RequestHeaderModifier or ResponseHeaderModifier. */
export interface HeaderModifier {
  set: readonly HeaderValue[];
  add: readonly HeaderValue[];
  remove: readonly string[];
}

/** What the filters of a rule (or of a rule and the backend picked) do to a request and its answer. */
export interface Filters {
  request: readonly HeaderModifier[];
  response: readonly HeaderModifier[];
}

export const NO_FILTERS: Filters = { request: [], response: [] };

const headerValue = z.object({ name: z.string().min(1), value: z.string() });
const headerModifier = z.object({
  set: z.array(headerValue).optional(),
  add: z.array(headerValue).optional(),
  remove: z.array(z.string().min(1)).optional(),
});
const filterSchema = z.object({
  type: z.string(),
  requestHeaderModifier: headerModifier.optional(),
  responseHeaderModifier: headerModifier.optional(),
});

const FIELD_OF = { RequestHeaderModifier: 'requestHeaderModifier', ResponseHeaderModifier: 'responseHeaderModifier' };

function compileModifier(m: z.infer<typeof headerModifier>): HeaderModifier {
  const lower = (list: z.infer<typeof headerValue>[] | undefined): HeaderValue[] =>
    (list ?? []).map((h) => ({ name: h.name.toLowerCase(), value: h.value }));
  return { set: lower(m.set), add: lower(m.add), remove: (m.remove ?? []).map((n) => n.toLowerCase()) };
}

/**
 * Compiles a `filters` list (as stored: anything); what cannot be applied — an unknown type, a modifier
 * missing or malformed — is left out and described in `problems`, prefixed with `field`.
 */
export function compileFilters(filters: unknown, field: string, problems: string[]): Filters {
  if (filters === undefined) return NO_FILTERS;
  if (!Array.isArray(filters)) {
    problems.push(`${field}: expected a list of filters (ignored)`);
    return NO_FILTERS;
  }
  const request: HeaderModifier[] = [];
  const response: HeaderModifier[] = [];
  filters.forEach((raw: unknown, i) => {
    const at = `${field}[${i}]`;
    const parsed = filterSchema.safeParse(raw);
    if (!parsed.success) {
      problems.push(`${at}: not a filter the sandbox gateway can read (ignored): ${parsed.error.issues[0]?.message}`);
      return;
    }
    const f = parsed.data;
    if (f.type !== 'RequestHeaderModifier' && f.type !== 'ResponseHeaderModifier') {
      problems.push(`${at}: filter type ${f.type} is not implemented by the sandbox gateway (ignored)`);
      return;
    }
    const modifier = f.type === 'RequestHeaderModifier' ? f.requestHeaderModifier : f.responseHeaderModifier;
    if (!modifier) {
      problems.push(`${at}: a ${f.type} filter without ${FIELD_OF[f.type]} (ignored)`);
      return;
    }
    (f.type === 'RequestHeaderModifier' ? request : response).push(compileModifier(modifier));
  });
  return request.length === 0 && response.length === 0 ? NO_FILTERS : { request, response };
}

/** The filters of `first` and then those of `second`. */
export function concatFilters(first: Filters | undefined, second: Filters | undefined): Filters {
  if (!second || second === NO_FILTERS) return first ?? NO_FILTERS;
  if (!first || first === NO_FILTERS) return second;
  return { request: [...first.request, ...second.request], response: [...first.response, ...second.response] };
}

function valuesOf(v: OutgoingHttpHeaders[string]): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v.map(String) : [String(v)];
}

/** `headers` (lower-case names, as Node gives them) after the modifiers, in order; a new object. */
export function modifyHeaders(headers: OutgoingHttpHeaders, modifiers: readonly HeaderModifier[]): OutgoingHttpHeaders {
  if (modifiers.length === 0) return headers;
  const out: OutgoingHttpHeaders = { ...headers };
  for (const m of modifiers) {
    for (const name of m.remove) delete out[name];
    for (const h of m.set) out[h.name] = h.value;
    for (const h of m.add) {
      const had = valuesOf(out[h.name]);
      out[h.name] = had.length === 0 ? h.value : [...had, h.value];
    }
  }
  return out;
}
