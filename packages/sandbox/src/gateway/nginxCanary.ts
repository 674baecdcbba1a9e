/**
 * Whether one request goes to the canary Ingress's upstream, in ingress-nginx's order (its Lua
 * balancer's route_to_alternative_balancer), and the session-affinity cookie that keeps it there:
 *
 * 1. affinity to the primary (the request's affinity cookie names the primary upstream) → primary;
 * 2. no canary merged, or the canary has no ready endpoint (nginx then has no balancer for it) → primary;
 * 3. affinity to the canary → canary;
 * 4. the canary-by-header header, when the request has it: with a header value, equal → canary; else
 *    with a pattern, a search (unanchored, as ngx.re.match) that matches → canary, and a pattern that
 *    does not compile → primary; else "always" → canary, "never" → primary; anything else falls through;
 * 5. the canary-by-cookie cookie: "always" → canary, "never" → primary; anything else falls through;
 * 6. the weight: random(total) <= weight, total being canary-weight-total when above 100, else 100.
 *
 * The affinity cookie is `<key>|<backendKey>`: the key picks an endpoint of whichever upstream serves the
 * request, the backend key says which upstream the client is affinitized to. A canary upstream has
 * affinity only when its Ingress's `affinity-canary-behavior` is not "legacy": it is then a copy of the
 * primary's, so it is the main Ingress that carries `affinity: cookie` and the cookie's name.
 *
 * Simplifications: patterns run as JavaScript regular expressions, not PCRE; an endpoint is picked by a
 * hash of the key modulo the ready endpoints, not resty.chash's ring.
 */
import { createHash } from 'node:crypto';
import type { CookieAffinity, IngressDecision, IngressUpstream } from './ingressTypes';
import type { RequestFacts } from './matching';
import { seedFromString } from '../util/random';

function md5(s: string): string {
  return createHash('md5').update(s).digest('hex');
}

/** ingress-nginx's backend key for an upstream (what its affinity cookies carry after "|"). */
export function backendKeyOf(upstreamName: string): string {
  return md5(md5(upstreamName) + upstreamName);
}

function headerText(headers: RequestFacts['headers'], name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : v.join(name === 'cookie' ? '; ' : ', ');
}

/**
 * The first cookie `name` in the request's Cookie header. `anyCase`: names compared case-insensitively,
 * as nginx's $cookie_<name> does (the canary cookie); otherwise exactly, as lua-resty-cookie does (the
 * affinity cookie).
 */
export function cookieValue(headers: RequestFacts['headers'], name: string, anyCase = false): string | undefined {
  const raw = headerText(headers, 'cookie');
  if (raw === undefined || name === '') return undefined;
  const want = anyCase ? name.toLowerCase() : name;
  for (const part of raw.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const n = part.slice(0, eq).trim();
    if ((anyCase ? n.toLowerCase() : n) === want) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** An affinity cookie's two halves: the key that picks an endpoint, and the upstream it is affinitized to. */
export function parseAffinityCookie(raw: string | undefined): { upstreamKey?: string; backendKey?: string } {
  if (raw === undefined || raw === '') return {};
  const [upstreamKey, backendKey] = raw.split('|');
  return { upstreamKey: upstreamKey || undefined, backendKey };
}

/** Whether the request carries an affinity cookie naming this upstream (never, for an upstream without affinity). */
export function isAffinitized(up: IngressUpstream, headers: RequestFacts['headers']): boolean {
  if (!up.affinity) return false;
  return parseAffinityCookie(cookieValue(headers, up.affinity.cookie)).backendKey === up.backendKey;
}

/** Steps 4–6 of the order above: the canary policy alone. `random` answers in [0, 1). */
export function policyRoutesToCanary(up: IngressUpstream, req: RequestFacts, random: () => number): boolean {
  const p = up.policy;
  if (!p) return false;
  const header = p.header === '' ? undefined : headerText(req.headers, p.header);
  if (header !== undefined) {
    if (p.headerValue !== '') {
      if (header === p.headerValue) return true;
    } else if (p.headerRegex !== undefined) {
      if (p.headerRegex === 'invalid') return false;
      if (p.headerRegex.test(header)) return true;
    } else if (header === 'always') return true;
    else if (header === 'never') return false;
  }
  const cookie = cookieValue(req.headers, p.cookie, true);
  if (cookie === 'always') return true;
  if (cookie === 'never') return false;
  const total = p.weightTotal > 100 ? p.weightTotal : 100;
  return Math.floor(random() * total) + 1 <= p.weight;
}

/** Whether ingress-nginx would send this request to the decision's canary upstream. */
export function routesToCanary(d: IngressDecision, req: RequestFacts, random: () => number): boolean {
  if (isAffinitized(d.primary, req.headers)) return false;
  const canary = d.canary;
  if (!canary || canary.backend.endpoints.length === 0) return false;
  if (isAffinitized(canary, req.headers)) return true;
  return policyRoutesToCanary(canary, req, random);
}

/**
 * Whether an answer on this request sets the affinity cookie: only on the Ingress paths that asked for
 * affinity, looked up by the request's host ("_" on the catch-all server), then by its wildcard form.
 */
export function shouldSetCookie(a: CookieAffinity, d: IngressDecision, host: string): boolean {
  const name = d.serverName === '_' ? '_' : host;
  const paths = a.locations.get(name) ?? a.locations.get(name.replace(/^[^.]+\./, '*.'));
  return paths?.includes(d.path) ?? false;
}

/** The Set-Cookie value for a new affinity `key` on `up`. */
export function affinityCookie(up: IngressUpstream & { affinity: CookieAffinity }, key: string, path: string): string {
  const a = up.affinity;
  const parts = [`${a.cookie}=${key}|${up.backendKey}`, `Path=${a.path ?? path}`];
  if (a.expires !== undefined && /^\d+$/.test(a.expires))
    parts.push(`Expires=${new Date(Date.now() + Number(a.expires) * 1000).toUTCString()}`);
  if (a.maxAge !== undefined && /^\d+$/.test(a.maxAge)) parts.push(`Max-Age=${a.maxAge}`);
  parts.push('HttpOnly');
  return parts.join('; ');
}

/** The endpoint an affinity key sticks to, of `endpoints` ready ones. */
export function stickyIndex(key: string, endpoints: number): number {
  return seedFromString(key) % endpoints;
}
