/**
 * The ingress-nginx annotations the sandbox gateway reads, parsed as the controller parses them: booleans
 * with Go's strconv.ParseBool, integers with strconv.Atoi, an unreadable value as if absent. Canary
 * annotations on an Ingress that is not `canary: "true"` make the canary block invalid, and ingress-nginx
 * then treats the Ingress as an ordinary one; so does this (and says so in `problem`).
 */
import type { CanaryPolicy } from './ingressTypes';

export const NGINX_PREFIX = 'nginx.ingress.kubernetes.io/';
export const DEFAULT_AFFINITY_COOKIE = 'INGRESSCOOKIE';

type Annotations = Readonly<Record<string, string>> | undefined;

function get(a: Annotations, name: string): string | undefined {
  return a?.[`${NGINX_PREFIX}${name}`];
}

/** strconv.ParseBool: undefined when the text is not one of Go's boolean spellings. */
export function parseGoBool(s: string | undefined): boolean | undefined {
  if (s === undefined) return undefined;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return undefined;
}

/** strconv.Atoi (within 64 bits): undefined when not an integer. */
export function parseGoInt(s: string | undefined): number | undefined {
  if (s === undefined || !/^[+-]?\d+$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The header name a canary-by-header annotation makes nginx read ($http_<name>): lower case, "_" as "-". */
export function nginxHeaderName(name: string): string {
  return name.toLowerCase().replace(/_/g, '-');
}

/** The canary block of an Ingress: whether it is a canary, its policy, and why it was refused, if it was. */
export interface CanaryAnnotations {
  enabled: boolean;
  policy: CanaryPolicy;
  problem?: string;
}

/** The canary annotations, compiled (the header pattern too). */
export function parseCanary(a: Annotations): CanaryAnnotations {
  const policy: CanaryPolicy = {
    weight: parseGoInt(get(a, 'canary-weight')) ?? 0,
    weightTotal: parseGoInt(get(a, 'canary-weight-total')) ?? 100,
    header: nginxHeaderName(get(a, 'canary-by-header') ?? ''),
    headerValue: get(a, 'canary-by-header-value') ?? '',
    headerPattern: get(a, 'canary-by-header-pattern') ?? '',
    cookie: get(a, 'canary-by-cookie') ?? '',
  };
  if (policy.headerPattern !== '') {
    try {
      policy.headerRegex = new RegExp(policy.headerPattern);
    } catch {
      policy.headerRegex = 'invalid';
    }
  }
  const enabled = parseGoBool(get(a, 'canary')) === true;
  const configured =
    policy.weight > 0 ||
    policy.header !== '' ||
    policy.headerValue !== '' ||
    policy.headerPattern !== '' ||
    policy.cookie !== '';
  if (!enabled && configured)
    return { enabled: false, policy, problem: 'canary annotations configured but canary is not "true" (ignored)' };
  return { enabled, policy };
}

/** Session affinity as one Ingress's annotations ask for it. */
export interface AffinityAnnotations {
  /** `affinity`: only "cookie" means anything to ingress-nginx; '' when unset. */
  type: string;
  cookie: string;
  path?: string;
  maxAge?: string;
  expires?: string;
  /** `affinity-canary-behavior`: anything but "legacy" is sticky (the default). */
  canarySticky: boolean;
}

/** The session affinity annotations. */
export function parseAffinity(a: Annotations): AffinityAnnotations {
  return {
    type: get(a, 'affinity') ?? '',
    cookie: get(a, 'session-cookie-name') || DEFAULT_AFFINITY_COOKIE,
    path: get(a, 'session-cookie-path') || undefined,
    maxAge: get(a, 'session-cookie-max-age') || undefined,
    expires: get(a, 'session-cookie-expires') || undefined,
    canarySticky: get(a, 'affinity-canary-behavior') !== 'legacy',
  };
}
