/**
 * The kinds the sandbox API server serves: one table that discovery, routing, validation, tables and
 * storage all read, so adding a kind is one entry here (plus its schema in openapi/specs).
 */

export type Subresource = 'status' | 'scale' | 'log';

export interface ResourceType {
  /** API group; '' for the core group. */
  readonly group: string;
  readonly version: string;
  /** Plural, lower-case: the URL segment. */
  readonly resource: string;
  readonly singular: string;
  readonly kind: string;
  readonly listKind: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  readonly verbs: readonly string[];
  readonly subresources: readonly Subresource[];
  /** Name of the object's schema in the group-version's OpenAPI v3 document. */
  readonly schemaName: string;
  /** Create-only kinds (reviews) are answered, not stored. */
  readonly virtual?: boolean;
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;

function rt(
  group: string,
  version: string,
  resource: string,
  kind: string,
  schemaName: string,
  opts: Partial<
    Pick<ResourceType, 'namespaced' | 'shortNames' | 'categories' | 'verbs' | 'subresources' | 'virtual'>
  > & {
    singular?: string;
  } = {},
): ResourceType {
  return {
    group,
    version,
    resource,
    kind,
    schemaName,
    singular: opts.singular ?? kind.toLowerCase(),
    listKind: `${kind}List`,
    namespaced: opts.namespaced ?? true,
    shortNames: opts.shortNames ?? [],
    categories: opts.categories ?? [],
    verbs: opts.verbs ?? ALL_VERBS,
    subresources: opts.subresources ?? [],
    virtual: opts.virtual,
  };
}

export const RESOURCES: readonly ResourceType[] = [
  rt('', 'v1', 'namespaces', 'Namespace', 'io.k8s.api.core.v1.Namespace', {
    namespaced: false,
    shortNames: ['ns'],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: ['status'],
  }),
  rt('', 'v1', 'nodes', 'Node', 'io.k8s.api.core.v1.Node', {
    namespaced: false,
    shortNames: ['no'],
    subresources: ['status'],
  }),
  rt('', 'v1', 'pods', 'Pod', 'io.k8s.api.core.v1.Pod', {
    shortNames: ['po'],
    categories: ['all'],
    subresources: ['status', 'log'],
  }),
  rt('', 'v1', 'services', 'Service', 'io.k8s.api.core.v1.Service', {
    shortNames: ['svc'],
    categories: ['all'],
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: ['status'],
  }),
  rt('', 'v1', 'endpoints', 'Endpoints', 'io.k8s.api.core.v1.Endpoints', { shortNames: ['ep'], singular: 'endpoints' }),
  rt('', 'v1', 'events', 'Event', 'io.k8s.api.core.v1.Event', { shortNames: ['ev'] }),
  rt('', 'v1', 'secrets', 'Secret', 'io.k8s.api.core.v1.Secret'),
  rt('', 'v1', 'configmaps', 'ConfigMap', 'io.k8s.api.core.v1.ConfigMap', { shortNames: ['cm'] }),
  rt('', 'v1', 'serviceaccounts', 'ServiceAccount', 'io.k8s.api.core.v1.ServiceAccount', { shortNames: ['sa'] }),
  rt('apps', 'v1', 'deployments', 'Deployment', 'io.k8s.api.apps.v1.Deployment', {
    shortNames: ['deploy'],
    categories: ['all'],
    subresources: ['status', 'scale'],
  }),
  rt('apps', 'v1', 'replicasets', 'ReplicaSet', 'io.k8s.api.apps.v1.ReplicaSet', {
    shortNames: ['rs'],
    categories: ['all'],
    subresources: ['status', 'scale'],
  }),
  rt('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice', 'io.k8s.api.discovery.v1.EndpointSlice'),
  rt('networking.k8s.io', 'v1', 'ingresses', 'Ingress', 'io.k8s.api.networking.v1.Ingress', {
    shortNames: ['ing'],
    subresources: ['status'],
  }),
  rt('gateway.networking.k8s.io', 'v1', 'httproutes', 'HTTPRoute', 'io.k8s.networking.gateway.v1.HTTPRoute', {
    categories: ['gateway-api'],
    subresources: ['status'],
  }),
  rt('authentication.k8s.io', 'v1', 'tokenreviews', 'TokenReview', 'io.k8s.api.authentication.v1.TokenReview', {
    namespaced: false,
    verbs: ['create'],
    virtual: true,
  }),
  rt(
    'authorization.k8s.io',
    'v1',
    'subjectaccessreviews',
    'SubjectAccessReview',
    'io.k8s.api.authorization.v1.SubjectAccessReview',
    {
      namespaced: false,
      verbs: ['create'],
      virtual: true,
    },
  ),
  rt(
    'authorization.k8s.io',
    'v1',
    'selfsubjectaccessreviews',
    'SelfSubjectAccessReview',
    'io.k8s.api.authorization.v1.SelfSubjectAccessReview',
    {
      namespaced: false,
      verbs: ['create'],
      virtual: true,
    },
  ),
];

/** "v1" for the core group, "apps/v1" otherwise: what goes in an object's apiVersion. */
export function apiVersionOf(t: Pick<ResourceType, 'group' | 'version'>): string {
  return t.group === '' ? t.version : `${t.group}/${t.version}`;
}

/** A stable key for maps of per-type state. */
export function typeKey(t: Pick<ResourceType, 'group' | 'resource'>): string {
  return t.group === '' ? t.resource : `${t.resource}.${t.group}`;
}

export function findResource(group: string, version: string, resource: string): ResourceType | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.resource === resource);
}

export function resourceForKind(apiVersion: string, kind: string): ResourceType | undefined {
  return RESOURCES.find((r) => apiVersionOf(r) === apiVersion && r.kind === kind);
}

/** Resource by plural name alone, for in-process callers (`resource('pods')`). Throws on a typo. */
export function resource(plural: string, group?: string): ResourceType {
  const found = RESOURCES.find((r) => r.resource === plural && (group === undefined || r.group === group));
  if (!found) throw new Error(`unknown resource ${plural}${group ? '.' + group : ''}`);
  return found;
}

/** The group-versions served, in discovery order. */
export function groupVersions(): { group: string; version: string }[] {
  const seen = new Map<string, { group: string; version: string }>();
  for (const r of RESOURCES) seen.set(apiVersionOf(r), { group: r.group, version: r.version });
  return [...seen.values()];
}
