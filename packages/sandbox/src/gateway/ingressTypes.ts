/**
 * The shapes Ingress routing works in once an Ingress list is compiled (ingressRoutes.ts), after
 * ingress-nginx's own model: an **upstream** per Service port an Ingress names (ingress-nginx's
 * "backend", named `<namespace>-<service>-<port>`), carrying the session affinity of the Ingresses that
 * route to it and, for a canary Ingress's upstream, its traffic shaping policy; a **decision** is the
 * upstream a request's host and path reach, with the canary upstream merged into it, if any. Which of
 * the two serves the request is decided per request (nginxCanary.ts), as ingress-nginx's Lua balancer
 * does.
 */
import type { ServiceBackend } from './routeTable';

/** The canary annotations of a canary Ingress (ingress-nginx's TrafficShapingPolicy), parsed. */
export interface CanaryPolicy {
  weight: number;
  /** `canary-weight-total`; the balancer uses it only above 100. */
  weightTotal: number;
  /** Header name as nginx looks it up: lower case, "_" read as "-"; '' when none. */
  header: string;
  headerValue: string;
  headerPattern: string;
  /** Compiled `headerPattern` (a search, as ngx.re.match); 'invalid' when it does not compile. */
  headerRegex?: RegExp | 'invalid';
  /** Cookie name; '' when none. */
  cookie: string;
}

/** Cookie session affinity of an upstream (`nginx.ingress.kubernetes.io/affinity: cookie`). */
export interface CookieAffinity {
  /** `session-cookie-name`, default INGRESSCOOKIE. */
  cookie: string;
  /** `session-cookie-path`; the matched Ingress path when unset. */
  path?: string;
  /** `session-cookie-max-age`, seconds. */
  maxAge?: string;
  /** `session-cookie-expires`, seconds from now. */
  expires?: string;
  /** Ingress host (or "_") → the Ingress paths whose answers may set the cookie. */
  locations: ReadonlyMap<string, readonly string[]>;
}

/** An upstream as a request can use it. */
export interface IngressUpstream {
  /** `<namespace>-<service>-<port>`, as ingress-nginx names it. */
  name: string;
  /** The Service port; no endpoints when the Service or port does not exist (a 503, as nginx answers). */
  backend: ServiceBackend;
  /** What an affinity cookie carries after "|" for this upstream: md5(md5(name) + name). */
  backendKey: string;
  affinity?: CookieAffinity;
  policy?: CanaryPolicy;
}

/** Where an Ingress sends one request: its primary upstream, and the canary merged into it, if any. */
export interface IngressDecision {
  kind: 'ingress';
  /** "namespace/name" of the Ingress whose path matched. */
  ingress: string;
  /** The server the request reached: an Ingress host, or "_" for rules without one. */
  serverName: string;
  /** The matched Ingress path (the affinity cookie's default Path). */
  path: string;
  primary: IngressUpstream;
  /** The first canary merged into the primary upstream (ingress-nginx uses only that one). */
  canary?: IngressUpstream;
}
