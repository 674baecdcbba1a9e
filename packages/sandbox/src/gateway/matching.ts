/**
 * HTTPRoute matching, pure: hostnames, path/header/query/method matches and the precedence the Gateway
 * API prescribes between them. Choices the spec leaves to implementations, made as Envoy-based gateways
 * make them:
 * - RegularExpression matches (path, header, query) are full matches (the whole value must match), as
 *   RE2 `FullMatch` in Envoy. Patterns run as ECMAScript regular expressions, but what RE2 refuses
 *   (lookaround, backreferences: re2Subset.ts) is refused here too, as a pattern that does not compile.
 * - A RegularExpression path ranks below Exact and above PathPrefix; among them longer patterns first.
 * - Cookie matches are header matches on `Cookie` with a RegularExpression; `cookieMatchRegex` builds
 *   one that matches a single cookie anywhere in the header.
 */
import type { HTTPRouteMatch, PathMatchType, ValueMatchType } from './httpRouteTypes';
import { re2Refusal } from './re2Subset';

/** A request as routing sees it. */
export interface RequestFacts {
  /** Lower case, port stripped. */
  host: string;
  /** The port named in the Host header, if any. */
  hostPort?: number;
  /** Without the query string. */
  path: string;
  method: string;
  /** Lower-case names, as Node's IncomingHttpHeaders. */
  headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  query: URLSearchParams;
}

interface ValueMatcher {
  name: string;
  type: ValueMatchType;
  value: string;
  regex?: RegExp;
}

/** One `matches` entry, compiled. */
export interface CompiledMatch {
  pathType: PathMatchType;
  pathValue: string;
  pathRegex?: RegExp;
  headers: ValueMatcher[];
  queryParams: ValueMatcher[];
  method?: string;
}

/** A match that cannot be compiled (bad regular expression): the rule's other matches still apply. */
export class MatchCompileError extends Error {
  override readonly name = 'MatchCompileError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

function fullRegex(pattern: string, field: string): RegExp {
  const refused = re2Refusal(pattern);
  if (refused) throw new MatchCompileError(field, refused);
  try {
    return new RegExp(`^(?:${pattern})$`);
  } catch (e) {
    throw new MatchCompileError(field, (e as Error).message);
  }
}

/** Only the first entry of a repeated name counts, as the spec says for headers and query params. */
function compileValues(
  list: readonly { type?: ValueMatchType; name: string; value: string }[] | undefined,
  field: string,
  lowerNames: boolean,
): ValueMatcher[] {
  const seen = new Set<string>();
  const out: ValueMatcher[] = [];
  (list ?? []).forEach((m, i) => {
    const name = lowerNames ? m.name.toLowerCase() : m.name;
    if (seen.has(name)) return;
    seen.add(name);
    const type = m.type ?? 'Exact';
    out.push({
      name,
      type,
      value: m.value,
      regex: type === 'RegularExpression' ? fullRegex(m.value, `${field}[${i}].value`) : undefined,
    });
  });
  return out;
}

/** Compiles one HTTPRouteMatch (defaults as the CRD: PathPrefix "/"); throws MatchCompileError. */
export function compileMatch(m: HTTPRouteMatch, field = 'match'): CompiledMatch {
  const pathType = m.path?.type ?? 'PathPrefix';
  const pathValue = m.path?.value ?? '/';
  return {
    pathType,
    pathValue,
    pathRegex: pathType === 'RegularExpression' ? fullRegex(pathValue, `${field}.path.value`) : undefined,
    headers: compileValues(m.headers, `${field}.headers`, true),
    queryParams: compileValues(m.queryParams, `${field}.queryParams`, false),
    method: m.method,
  };
}

/** PathPrefix as the spec defines it: element by element, a trailing "/" on the prefix ignored. */
export function pathPrefixMatches(prefix: string, path: string): boolean {
  const p = prefix.replace(/\/+$/, '');
  if (p === '') return true;
  if (!path.startsWith(p)) return false;
  return path.length === p.length || path[p.length] === '/';
}

function headerValue(headers: RequestFacts['headers'], name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  return v.join(name === 'cookie' ? '; ' : ', ');
}

function valueMatches(m: ValueMatcher, actual: string | undefined | null): boolean {
  if (actual === undefined || actual === null) return false;
  return m.regex ? m.regex.test(actual) : actual === m.value;
}

/** Whether a request satisfies every condition of a compiled match. */
export function matchesRequest(m: CompiledMatch, req: RequestFacts): boolean {
  if (m.method !== undefined && m.method !== req.method) return false;
  switch (m.pathType) {
    case 'Exact':
      if (req.path !== m.pathValue) return false;
      break;
    case 'RegularExpression':
      if (!m.pathRegex?.test(req.path)) return false;
      break;
    default:
      if (!pathPrefixMatches(m.pathValue, req.path)) return false;
  }
  for (const h of m.headers) if (!valueMatches(h, headerValue(req.headers, h.name))) return false;
  for (const q of m.queryParams) if (!valueMatches(q, req.query.get(q.name))) return false;
  return true;
}

const PATH_RANK: Record<PathMatchType, number> = { Exact: 2, RegularExpression: 1, PathPrefix: 0 };

/**
 * Orders two matches by the spec's precedence (Exact path, longest path, method, most headers, most
 * query params): negative when `a` goes first, 0 on a tie (callers then order by route age and name).
 */
export function compareMatchPrecedence(a: CompiledMatch, b: CompiledMatch): number {
  return (
    PATH_RANK[b.pathType] - PATH_RANK[a.pathType] ||
    b.pathValue.length - a.pathValue.length ||
    Number(b.method !== undefined) - Number(a.method !== undefined) ||
    b.headers.length - a.headers.length ||
    b.queryParams.length - a.queryParams.length
  );
}

/** Whether a route hostname (exact, or `*.suffix` matching one or more labels) covers `host`. */
export function hostnameMatches(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  const h = host.toLowerCase();
  if (!p.startsWith('*.')) return p === h;
  const suffix = p.slice(1);
  return h.length > suffix.length && h.endsWith(suffix);
}

/**
 * How specific a matching route hostname is, as the spec ranks intersecting routes: characters of a
 * non-wildcard hostname first, then characters of the hostname. A route without hostnames ranks last.
 */
export function hostnameSpecificity(pattern: string | undefined): number {
  if (pattern === undefined) return 0;
  const exact = pattern.startsWith('*.') ? 0 : pattern.length;
  // Hostnames are at most 253 characters, so this orders by `exact` and then by length.
  return exact * 1000 + pattern.length;
}

/** Splits a Host header into a lower-case host and its port (IPv6 literals keep their brackets). */
export function splitHostPort(hostHeader: string | undefined): { host: string; port?: number } {
  const raw = (hostHeader ?? '').trim().toLowerCase();
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(raw);
  if (!m) return { host: raw };
  const host = m[1].replace(/\.$/, '');
  return m[2] === undefined ? { host } : { host, port: Number(m[2]) };
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A full-match RegularExpression for a `Cookie` header match that finds cookie `name` with `value`. */
export function cookieMatchRegex(name: string, value: string): string {
  return `(?:.*;\\s*)?${escapeRegex(name)}=${escapeRegex(value)}(?:;.*)?`;
}
