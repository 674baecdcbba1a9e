/**
 * The nginxIngress router's decisions, pure: the canary annotations a traffic split becomes (or why
 * ingress-nginx cannot express it), the canary Ingress Ramp keeps beside the user's, and whether one read
 * back says what Ramp would write.
 *
 * Conventions:
 * - The canary Ingress `<ingress>-canary` (labels app.kubernetes.io/managed-by: ramp, ramp.dev/app) has
 *   the user's ingressClassName (and legacy class annotation), and for every path of the user's Ingress
 *   whose backend is the stable Service the same host, path and pathType with the canary Service as
 *   backend (likewise a defaultBackend): ingress-nginx merges a canary only into a location with the same
 *   host, path and pathType.
 * - Ramp owns the canary annotations on it (every `canary*` one and `affinity-canary-behavior`) and its
 *   spec's class, rules and defaultBackend; other labels, annotations and spec fields are left as found.
 * - Matches: all header matches must name one header (canary-by-header). One Exact match with a value
 *   becomes canary-by-header-value; anything else one anchored canary-by-header-pattern `^(?:a|b)$`
 *   (ingress-nginx searches, so the anchors make it the full match the vocabulary means; Exact and Prefix
 *   escaped). Cookie matches must be one cookie, Exact "always" (canary-by-cookie). No query matches.
 * - Sticky: ingress-nginx keeps a client on the canary only through the session affinity of the *main*
 *   Ingress (`affinity: cookie`), which the canary upstream copies when its `affinity-canary-behavior`
 *   is sticky — so the user's Ingress must carry it, with the sticky cookie's name as
 *   session-cookie-name. The canary Ingress says `sticky` only when asked, `legacy` otherwise, so a
 *   split that is not sticky is not made sticky by the user's affinity.
 */
import { RouterUnsupportedError } from '../../../errors';
import { describeMatch, type StickyCookie, type Traffic, type TrafficMatch } from '../../../strategies/traffic';
import { canonicalJson } from '../../../util/canonicalJson';
import { LABELS } from '../../names';
import type { Ingress, IngressBackend, IngressRule } from './ingress';

const ROUTER = 'nginxIngress';
export const NGINX = 'nginx.ingress.kubernetes.io/';
export const MANAGED_BY = 'app.kubernetes.io/managed-by';
/** The legacy class annotation, copied from the user's Ingress when it uses that instead of ingressClassName. */
export const LEGACY_CLASS = 'kubernetes.io/ingress.class';
/** ingress-nginx's default session-cookie-name. */
export const DEFAULT_SESSION_COOKIE = 'INGRESSCOOKIE';

/** The annotations Ramp owns on its canary Ingress: each is exactly what it writes, or absent. */
export const OWNED_ANNOTATIONS = [
  'canary',
  'canary-weight',
  'canary-weight-total',
  'canary-by-header',
  'canary-by-header-value',
  'canary-by-header-pattern',
  'canary-by-cookie',
  'affinity-canary-behavior',
].map((a) => `${NGINX}${a}`);

/** Who the canary Ingress is for. */
export interface CanaryIngressRefs {
  namespace: string;
  app: string;
  /** The user's Ingress; the canary Ingress is `<ingress>-canary`. */
  ingress: string;
  stable: string;
  canary: string;
  port: number;
}

/** `<ingress>-canary`. */
export function canaryIngressName(ingress: string): string {
  return `${ingress}-canary`;
}

/** Regex-escapes a literal (valid in PCRE, RE2 and ECMAScript alike). */
export function escapeRegex(s: string): string {
  return s.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}

function valuePattern(m: TrafficMatch): string {
  if (m.type === 'Exact') return escapeRegex(m.value);
  if (m.type === 'Prefix') return `${escapeRegex(m.value)}.*`;
  return `(?:${m.value})`;
}

function refuse(operation: string): never {
  throw new RouterUnsupportedError(ROUTER, operation);
}

function headerAnnotations(headers: readonly TrafficMatch[]): Record<string, string> {
  if (headers.length === 0) return {};
  const names = [...new Set(headers.map((m) => m.name.toLowerCase()))];
  if (names.length > 1)
    refuse(`match more than one header name (${names.join(', ')}): ingress-nginx's canary-by-header names one`);
  const out: Record<string, string> = { [`${NGINX}canary-by-header`]: names[0] };
  const only = headers.length === 1 ? headers[0] : undefined;
  if (only?.type === 'Exact' && only.value !== '') out[`${NGINX}canary-by-header-value`] = only.value;
  else out[`${NGINX}canary-by-header-pattern`] = `^(?:${[...new Set(headers.map(valuePattern))].join('|')})$`;
  return out;
}

function cookieAnnotations(cookies: readonly TrafficMatch[]): Record<string, string> {
  if (cookies.length === 0) return {};
  for (const m of cookies)
    if (m.type !== 'Exact' || m.value !== 'always')
      refuse(
        `match ${describeMatch(m)}: ingress-nginx's canary-by-cookie sends a request to the canary only when the cookie is "always" (match {on: cookie, type: Exact, value: always})`,
      );
  const names = [...new Set(cookies.map((m) => m.name))];
  if (names.length > 1)
    refuse(`match more than one cookie (${names.join(', ')}): ingress-nginx's canary-by-cookie names one`);
  return { [`${NGINX}canary-by-cookie`]: names[0] };
}

/**
 * The canary annotations that say `traffic` (RouterUnsupportedError for what ingress-nginx cannot
 * express: query matches, more than one header name, a cookie match other than Exact "always", more than
 * one cookie).
 */
export function canaryAnnotations(traffic: Traffic): Record<string, string> {
  const query = traffic.matches.find((m) => m.on === 'query');
  if (query)
    refuse(`match ${describeMatch(query)}: ingress-nginx's canary matches a header or a cookie, not a query parameter`);
  return {
    [`${NGINX}canary`]: 'true',
    [`${NGINX}canary-weight`]: String(traffic.weight),
    ...headerAnnotations(traffic.matches.filter((m) => m.on === 'header')),
    ...cookieAnnotations(traffic.matches.filter((m) => m.on === 'cookie')),
    [`${NGINX}affinity-canary-behavior`]: traffic.sticky ? 'sticky' : 'legacy',
  };
}

/** Whether a split sends nothing to the new revision (what reset leaves). */
export function isStableOnly(traffic: Traffic): boolean {
  return traffic.weight === 0 && traffic.matches.length === 0 && !traffic.sticky;
}

/**
 * Why the user's Ingress cannot keep clients on the canary with `sticky`, or undefined when it can:
 * it must have `affinity: cookie` and `session-cookie-name` (default INGRESSCOOKIE) equal to the cookie.
 */
export function stickyProblem(user: Ingress, sticky: StickyCookie): string | undefined {
  const a = user.metadata.annotations ?? {};
  const name = a[`${NGINX}session-cookie-name`] || DEFAULT_SESSION_COOKIE;
  const fix = `set ${NGINX}affinity: cookie and ${NGINX}session-cookie-name: ${sticky.cookie} on it, or use the sticky cookie ${name}`;
  const ingress = `${user.metadata.namespace}/${user.metadata.name}`;
  if (a[`${NGINX}affinity`] !== 'cookie')
    return `keep a client on the new revision with cookie ${sticky.cookie}: ingress-nginx keeps a client on a canary only by the session affinity of the main Ingress, and Ingress ${ingress} has no ${NGINX}affinity: cookie (${fix})`;
  if (name !== sticky.cookie)
    return `keep a client on the new revision with cookie ${sticky.cookie}: the session affinity cookie of Ingress ${ingress} is ${name} (${fix})`;
  return undefined;
}

function isStable(b: IngressBackend | undefined, refs: CanaryIngressRefs): boolean {
  return b?.service?.name === refs.stable;
}

function canaryBackend(refs: CanaryIngressRefs): IngressBackend {
  return { service: { name: refs.canary, port: { number: refs.port } } };
}

/** Whether the user's Ingress routes anything to the stable Service (a path or its defaultBackend). */
export function routesToStable(user: Ingress, refs: CanaryIngressRefs): boolean {
  const spec = user.spec ?? {};
  return (
    isStable(spec.defaultBackend, refs) ||
    (spec.rules ?? []).some((r) => (r.http?.paths ?? []).some((p) => isStable(p.backend, refs)))
  );
}

/** The canary Ingress's class, rules and defaultBackend: the user's stable paths, to the canary Service. */
export function canarySpec(user: Ingress, refs: CanaryIngressRefs): NonNullable<Ingress['spec']> {
  const rules: IngressRule[] = [];
  for (const r of user.spec?.rules ?? []) {
    const paths = (r.http?.paths ?? [])
      .filter((p) => isStable(p.backend, refs))
      .map((p) => ({
        ...(p.path === undefined ? {} : { path: p.path }),
        ...(p.pathType === undefined ? {} : { pathType: p.pathType }),
        backend: canaryBackend(refs),
      }));
    if (paths.length > 0) rules.push({ ...(r.host ? { host: r.host } : {}), http: { paths } });
  }
  const spec: NonNullable<Ingress['spec']> = { rules };
  if (user.spec?.ingressClassName !== undefined) spec.ingressClassName = user.spec.ingressClassName;
  if (isStable(user.spec?.defaultBackend, refs)) spec.defaultBackend = canaryBackend(refs);
  return spec;
}

function pick(annotations: Record<string, string> | undefined, keys: readonly string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(annotations ?? {}).filter(([k]) => keys.includes(k)));
}

const WRITTEN = [...OWNED_ANNOTATIONS, LEGACY_CLASS];

/** The canary Ingress Ramp wants for `traffic` (annotations from canaryAnnotations: may throw RouterUnsupportedError). */
export function desiredCanaryIngress(user: Ingress, refs: CanaryIngressRefs, traffic: Traffic): Ingress {
  const legacyClass = user.metadata.annotations?.[LEGACY_CLASS];
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: canaryIngressName(refs.ingress),
      namespace: refs.namespace,
      labels: { [MANAGED_BY]: 'ramp', [LABELS.app]: refs.app },
      annotations: {
        ...canaryAnnotations(traffic),
        ...(legacyClass === undefined ? {} : { [LEGACY_CLASS]: legacyClass }),
      },
    },
    spec: canarySpec(user, refs),
  };
}

/** Whether an Ingress read back is Ramp's canary Ingress for this app. */
export function isOurs(ingress: Ingress, refs: CanaryIngressRefs): boolean {
  const labels = ingress.metadata.labels ?? {};
  return labels[MANAGED_BY] === 'ramp' && labels[LABELS.app] === refs.app;
}

function specKey(spec: Ingress['spec']): string {
  return canonicalJson({
    ingressClassName: spec?.ingressClassName,
    rules: spec?.rules ?? [],
    defaultBackend: spec?.defaultBackend,
  });
}

/** Whether the canary Ingress read back sends nothing to the canary (the spec does not matter then). */
export function isStableOnlyIngress(actual: Ingress, refs: CanaryIngressRefs): boolean {
  const want = canaryAnnotations({ weight: 0, matches: [] });
  return (
    isOurs(actual, refs) && canonicalJson(pick(actual.metadata.annotations, OWNED_ANNOTATIONS)) === canonicalJson(want)
  );
}

/** Whether `actual` has everything Ramp owns as in `desired` (its labels, annotations, class, rules, defaultBackend). */
export function sameAsDesired(actual: Ingress, desired: Ingress, refs: CanaryIngressRefs): boolean {
  return (
    isOurs(actual, refs) &&
    canonicalJson(pick(actual.metadata.annotations, WRITTEN)) ===
      canonicalJson(pick(desired.metadata.annotations, WRITTEN)) &&
    specKey(actual.spec) === specKey(desired.spec)
  );
}

/** `existing` with what Ramp owns replaced by `desired`'s; everything else (other labels, annotations, spec fields) kept. */
export function withDesired(existing: Ingress, desired: Ingress): Ingress {
  const kept = Object.entries(existing.metadata.annotations ?? {}).filter(([k]) => !WRITTEN.includes(k));
  const spec: NonNullable<Ingress['spec']> = { ...existing.spec, ...desired.spec };
  if (desired.spec?.ingressClassName === undefined) delete spec.ingressClassName;
  if (desired.spec?.defaultBackend === undefined) delete spec.defaultBackend;
  return {
    ...existing,
    metadata: {
      ...existing.metadata,
      labels: { ...existing.metadata.labels, ...desired.metadata.labels },
      annotations: { ...Object.fromEntries(kept), ...desired.metadata.annotations },
    },
    spec,
  };
}

/** `existing` with only its canary annotations set to stable-only ones (reset: the spec does not matter then). */
export function withStableOnly(existing: Ingress): Ingress {
  const kept = Object.entries(existing.metadata.annotations ?? {}).filter(([k]) => !OWNED_ANNOTATIONS.includes(k));
  return {
    ...existing,
    metadata: {
      ...existing.metadata,
      annotations: { ...Object.fromEntries(kept), ...canaryAnnotations({ weight: 0, matches: [] }) },
    },
  };
}
