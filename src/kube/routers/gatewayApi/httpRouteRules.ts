/**
 * The gatewayApi router's decisions, pure: which rules of an HTTPRoute it manages, what their
 * backendRefs become for a weight, which rules it adds for matches, and whether two rule lists mean the
 * same once the API's defaults are filled in.
 *
 * Conventions (what makes Ramp's edits recognisable on a route shared with other rules):
 * - A **weighted rule** is any rule with a backendRef naming the stable or the canary Service. Its
 *   backendRefs become exactly `[{stable, port, weight: 100-w}, {canary, port, weight: w}]`; its matches,
 *   filters and every other field stay. Rules naming neither Service are never touched.
 * - A **match rule** is a rule whose only backendRef is the canary Service (`<service>-canary`, a Service
 *   Ramp owns, so no one else routes to it alone). setMatches puts Ramp's match rules first: for each
 *   weighted rule, one rule with that rule's matches (path, method, query, headers) each extended by one
 *   traffic match, the same filters and timeouts, and the canary as the only backend — so a matching
 *   request is more specific than, and wins over, the weighted rule it would otherwise hit. More than 8
 *   matches (the API's limit per rule) are split over several match rules.
 */
import { canonicalJson } from '../../../util/canonicalJson';
import type { StickyCookie, Traffic, TrafficMatch } from '../../../strategies/traffic';
import type { HTTPBackendRef, HTTPRouteFilter, HTTPRouteMatch, HTTPRouteRule, HTTPValueMatch } from './httpRoute';

/** The Services a route's rules are managed for. */
export interface ServiceRefs {
  /** The route's namespace, where both Services live. */
  namespace: string;
  stable: string;
  canary: string;
  /** The Service port backendRefs name. */
  port: number;
}

/** The Gateway API's limit on matches in one rule. */
export const MAX_MATCHES_PER_RULE = 8;

function refersTo(ref: HTTPBackendRef, service: string, refs: ServiceRefs): boolean {
  return (
    (ref.group ?? '') === '' &&
    (ref.kind ?? 'Service') === 'Service' &&
    (ref.namespace ?? refs.namespace) === refs.namespace &&
    ref.name === service
  );
}

/** Whether a rule is one of Ramp's match rules: its only backend is the canary Service. */
export function isMatchRule(rule: HTTPRouteRule, refs: ServiceRefs): boolean {
  const b = rule.backendRefs ?? [];
  return b.length === 1 && refersTo(b[0], refs.canary, refs);
}

/** Whether a rule is weighted by Ramp: it names the stable or canary Service and is not a match rule. */
export function isWeightedRule(rule: HTTPRouteRule, refs: ServiceRefs): boolean {
  if (isMatchRule(rule, refs)) return false;
  return (rule.backendRefs ?? []).some((r) => refersTo(r, refs.stable, refs) || refersTo(r, refs.canary, refs));
}

/**
 * The Set-Cookie a sticky split adds to the canary backend's responses: a session cookie for the whole
 * site, holding the new revision (so one left from an earlier rollout matches nothing later).
 */
export function stickyFilter(sticky: StickyCookie): HTTPRouteFilter {
  return {
    type: 'ResponseHeaderModifier',
    responseHeaderModifier: {
      add: [{ name: 'Set-Cookie', value: `${sticky.cookie}=${sticky.value}; Path=/; HttpOnly; SameSite=Lax` }],
    },
  };
}

/** The backendRefs of a weighted rule at `canaryPercent` (the canary's setting the sticky cookie, if any). */
export function weightedRefs(refs: ServiceRefs, canaryPercent: number, sticky?: StickyCookie): HTTPBackendRef[] {
  const canary: HTTPBackendRef = { name: refs.canary, port: refs.port, weight: canaryPercent };
  if (sticky) canary.filters = [stickyFilter(sticky)];
  return [{ name: refs.stable, port: refs.port, weight: 100 - canaryPercent }, canary];
}

/** The rules with every weighted rule's backendRefs set for `canaryPercent`; other rules as they were. */
export function withWeight(
  rules: readonly HTTPRouteRule[],
  refs: ServiceRefs,
  canaryPercent: number,
  sticky?: StickyCookie,
): HTTPRouteRule[] {
  return rules.map((r) =>
    isWeightedRule(r, refs) ? { ...r, backendRefs: weightedRefs(refs, canaryPercent, sticky) } : r,
  );
}

/** Regex-escapes a literal for a Gateway API RegularExpression (valid in RE2 and ECMAScript alike). */
export function escapeRegex(s: string): string {
  return s.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}

/** A pattern that matches the whole value, whether an implementation full-matches or searches. */
function anchored(pattern: string): string {
  return `^(?:${pattern})$`;
}

/** The value pattern of a match, as a regular expression (Exact and Prefix escaped). */
function valuePattern(m: TrafficMatch): string {
  if (m.type === 'Exact') return escapeRegex(m.value);
  if (m.type === 'Prefix') return `${escapeRegex(m.value)}.*`;
  return `(?:${m.value})`;
}

/**
 * A RegularExpression for the whole `Cookie` header value that holds cookie `name` with a value matching
 * `valueRegex` anywhere in it: `^(.*; ?)?name=value(;.*)?$`.
 */
export function cookieRegex(name: string, valueRegex: string): string {
  return `^(.*; ?)?${escapeRegex(name)}=${valueRegex}(;.*)?$`;
}

/** The header or query condition a traffic match becomes (a cookie is a condition on the Cookie header). */
export function conditionFor(m: TrafficMatch): { headers?: HTTPValueMatch[]; queryParams?: HTTPValueMatch[] } {
  if (m.on === 'cookie')
    return { headers: [{ type: 'RegularExpression', name: 'Cookie', value: cookieRegex(m.name, valuePattern(m)) }] };
  const condition: HTTPValueMatch =
    m.type === 'Exact'
      ? { type: 'Exact', name: m.name, value: m.value }
      : { type: 'RegularExpression', name: m.name, value: anchored(valuePattern(m)) };
  return m.on === 'header' ? { headers: [condition] } : { queryParams: [condition] };
}

const DEFAULT_MATCHES: HTTPRouteMatch[] = [{ path: { type: 'PathPrefix', value: '/' } }];

function matchRulesFor(base: HTTPRouteRule, refs: ServiceRefs, matches: readonly TrafficMatch[]): HTTPRouteRule[] {
  const baseMatches = base.matches && base.matches.length > 0 ? base.matches : DEFAULT_MATCHES;
  const combined = baseMatches.flatMap((b) =>
    matches.map((m) => {
      const c = conditionFor(m);
      const out: HTTPRouteMatch = { ...b };
      if (c.headers) out.headers = [...(b.headers ?? []), ...c.headers];
      if (c.queryParams) out.queryParams = [...(b.queryParams ?? []), ...c.queryParams];
      return out;
    }),
  );
  const out: HTTPRouteRule[] = [];
  for (let i = 0; i < combined.length; i += MAX_MATCHES_PER_RULE) {
    const rule: HTTPRouteRule = {
      matches: combined.slice(i, i + MAX_MATCHES_PER_RULE),
      backendRefs: [{ name: refs.canary, port: refs.port }],
    };
    if (base.filters !== undefined) rule.filters = base.filters;
    if (base.timeouts !== undefined) rule.timeouts = base.timeouts;
    out.push(rule);
  }
  return out;
}

/** The rules with Ramp's match rules for `matches` first (none when empty) and any earlier match rules removed. */
export function withMatches(
  rules: readonly HTTPRouteRule[],
  refs: ServiceRefs,
  matches: readonly TrafficMatch[],
): HTTPRouteRule[] {
  const kept = rules.filter((r) => !isMatchRule(r, refs));
  if (matches.length === 0) return kept;
  const added = kept.filter((r) => isWeightedRule(r, refs)).flatMap((r) => matchRulesFor(r, refs, matches));
  return [...added, ...kept];
}

function normalValues(list: readonly HTTPValueMatch[] | undefined): HTTPValueMatch[] | undefined {
  return list?.map((v) => ({ ...v, type: v.type ?? 'Exact' }));
}

function normalMatch(m: HTTPRouteMatch): HTTPRouteMatch {
  const out: HTTPRouteMatch = { ...m, path: { type: m.path?.type ?? 'PathPrefix', value: m.path?.value ?? '/' } };
  if (m.headers) out.headers = normalValues(m.headers);
  if (m.queryParams) out.queryParams = normalValues(m.queryParams);
  return out;
}

function normalRef(r: HTTPBackendRef, namespace: string): HTTPBackendRef {
  const out: HTTPBackendRef = { ...r, group: r.group ?? '', kind: r.kind ?? 'Service', weight: r.weight ?? 1 };
  if (out.namespace === namespace) delete out.namespace;
  return out;
}

/** A rule with the API's defaults filled in, so a rule as written and as read back compare equal. */
export function normalRule(rule: HTTPRouteRule, namespace: string): HTTPRouteRule {
  const matches = rule.matches && rule.matches.length > 0 ? rule.matches : DEFAULT_MATCHES;
  return {
    ...rule,
    matches: matches.map(normalMatch),
    backendRefs: rule.backendRefs?.map((r) => normalRef(r, namespace)),
  };
}

/** Whether two rule lists mean the same, defaults considered. */
export function sameRules(a: readonly HTTPRouteRule[], b: readonly HTTPRouteRule[], namespace: string): boolean {
  return (
    canonicalJson(a.map((r) => normalRule(r, namespace))) === canonicalJson(b.map((r) => normalRule(r, namespace)))
  );
}

/** Whether every weighted rule sends exactly `canaryPercent` to the canary (false when there is none). */
export function weightIs(rules: readonly HTTPRouteRule[], refs: ServiceRefs, canaryPercent: number): boolean {
  const weighted = rules.filter((r) => isWeightedRule(r, refs));
  if (weighted.length === 0) return false;
  const want = canonicalJson(weightedRefs(refs, canaryPercent).map((r) => normalRef(r, refs.namespace)));
  return weighted.every((r) => canonicalJson((r.backendRefs ?? []).map((x) => normalRef(x, refs.namespace))) === want);
}

/** The matches a split routes on: its own, and a client's sticky cookie. */
function routedMatches(traffic: Traffic): readonly TrafficMatch[] {
  const { sticky } = traffic;
  if (!sticky) return traffic.matches;
  return [...traffic.matches, { on: 'cookie', name: sticky.cookie, type: 'Exact', value: sticky.value }];
}

/** The rules as they are once `traffic` is applied: weighted rules at its weight, Ramp's match rules for its matches. */
export function withTraffic(rules: readonly HTTPRouteRule[], refs: ServiceRefs, traffic: Traffic): HTTPRouteRule[] {
  return withMatches(withWeight(rules, refs, traffic.weight, traffic.sticky), refs, routedMatches(traffic));
}

/** Whether the rules already say exactly `traffic` (a weighted rule exists, and applying it would change nothing). */
export function rulesAre(rules: readonly HTTPRouteRule[], refs: ServiceRefs, traffic: Traffic): boolean {
  return (
    rules.some((r) => isWeightedRule(r, refs)) && sameRules(rules, withTraffic(rules, refs, traffic), refs.namespace)
  );
}
