/**
 * The parts of gateway.networking.k8s.io/v1 HTTPRoute the sandbox gateway reads. kubernetes-types has
 * no Gateway API kinds, so these follow the CRD's schema; every field is optional because the gateway
 * must survive any object the API server accepted.
 */
import type { ObjectMeta } from 'kubernetes-types/meta/v1';

/** HTTPPathMatch.type. */
export type PathMatchType = 'Exact' | 'PathPrefix' | 'RegularExpression';
/** Header and query param match types. */
export type ValueMatchType = 'Exact' | 'RegularExpression';

/** spec.rules[].matches[].path */
export interface HTTPPathMatch {
  type?: PathMatchType;
  value?: string;
}

/** spec.rules[].matches[].headers[] */
export interface HTTPHeaderMatch {
  type?: ValueMatchType;
  name: string;
  value: string;
}

/** spec.rules[].matches[].queryParams[] */
export interface HTTPQueryParamMatch {
  type?: ValueMatchType;
  name: string;
  value: string;
}

/** spec.rules[].matches[]: every condition given must hold. */
export interface HTTPRouteMatch {
  path?: HTTPPathMatch;
  headers?: HTTPHeaderMatch[];
  queryParams?: HTTPQueryParamMatch[];
  method?: string;
}

/** spec.rules[].backendRefs[] (weight default 1, kind default Service). */
export interface HTTPBackendRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
  weight?: number;
  /** Applied only to requests sent to this backend (filters.ts). */
  filters?: unknown[];
}

/** spec.rules[] (of the filters, the header modifiers are applied: filters.ts). */
export interface HTTPRouteRule {
  name?: string;
  matches?: HTTPRouteMatch[];
  backendRefs?: HTTPBackendRef[];
  filters?: unknown[];
}

/** spec (parentRefs are not checked: every route is attached to the sandbox gateway). */
export interface HTTPRouteSpec {
  parentRefs?: unknown[];
  hostnames?: string[];
  rules?: HTTPRouteRule[];
}

/** An HTTPRoute as stored by the sandbox API server. */
export interface HTTPRoute {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: HTTPRouteSpec;
}
