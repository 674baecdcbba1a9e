/**
 * Discovery documents: /version, /api, /apis, /api/v1, /apis/<group>/<version>, in the plain forms
 * every client accepts, plus the aggregated (apidiscovery.k8s.io/v2) form kubectl asks for first, which
 * saves it one request per group.
 */
import { apiVersionOf, groupVersions, RESOURCES, type ResourceType } from './resources';

/** Answered by /version. kubectl's dispatcher picks its release by this minor version. */
export const SERVER_VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0',
  gitCommit: '70d3cc986aa8221cd1dfb1121852688902d3bf53',
  gitTreeState: 'clean',
  buildDate: '2024-12-11T17:59:15Z',
  goVersion: 'go1.23.3',
  compiler: 'gc',
  platform: 'linux/amd64',
};

export function apiVersions(serverAddress: string): unknown {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groups(): string[] {
  return [...new Set(RESOURCES.filter((r) => r.group !== '').map((r) => r.group))];
}

export function apiGroupList(): unknown {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: groups().map((g) => apiGroup(g)),
  };
}

export function apiGroup(group: string): unknown {
  const versions = groupVersions()
    .filter((gv) => gv.group === group)
    .map((gv) => ({ groupVersion: `${group}/${gv.version}`, version: gv.version }));
  return { kind: 'APIGroup', apiVersion: 'v1', name: group, versions, preferredVersion: versions[0] };
}

function resourceEntries(r: ResourceType): unknown[] {
  const main = {
    name: r.resource,
    singularName: r.singular,
    namespaced: r.namespaced,
    kind: r.kind,
    verbs: r.verbs,
    ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
    ...(r.categories.length ? { categories: r.categories } : {}),
  };
  const subs = r.subresources.map((sub) => ({
    name: `${r.resource}/${sub}`,
    singularName: '',
    namespaced: r.namespaced,
    kind: sub === 'scale' ? 'Scale' : sub === 'log' ? 'Pod' : r.kind,
    ...(sub === 'scale' ? { group: 'autoscaling', version: 'v1' } : {}),
    verbs: sub === 'log' ? ['get'] : ['get', 'patch', 'update'],
  }));
  return [main, ...subs];
}

export function apiResourceList(group: string, version: string): unknown | undefined {
  const rs = RESOURCES.filter((r) => r.group === group && r.version === version);
  if (rs.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: apiVersionOf({ group, version }),
    resources: rs.flatMap(resourceEntries),
  };
}

function discoveryResources(group: string, version: string): unknown[] {
  return RESOURCES.filter((r) => r.group === group && r.version === version).map((r) => ({
    resource: r.resource,
    responseKind: { group: r.group, version: r.version, kind: r.kind },
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: r.singular,
    verbs: r.verbs,
    ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
    ...(r.categories.length ? { categories: r.categories } : {}),
    ...(r.subresources.length
      ? {
          subresources: r.subresources.map((sub) => ({
            subresource: sub,
            responseKind:
              sub === 'scale'
                ? { group: 'autoscaling', version: 'v1', kind: 'Scale' }
                : { group: r.group, version: r.version, kind: sub === 'log' ? 'Pod' : r.kind },
            verbs: sub === 'log' ? ['get'] : ['get', 'patch', 'update'],
          })),
        }
      : {}),
  }));
}

/** The aggregated discovery document (apidiscovery.k8s.io/v2) for `/api` (core) or `/apis`. */
export function aggregatedDiscovery(core: boolean): unknown {
  const gs = core ? [''] : groups();
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: 'apidiscovery.k8s.io/v2',
    metadata: {},
    items: gs.map((g) => ({
      metadata: g === '' ? { creationTimestamp: null } : { name: g, creationTimestamp: null },
      versions: groupVersions()
        .filter((gv) => gv.group === g)
        .map((gv) => ({ version: gv.version, resources: discoveryResources(g, gv.version), freshness: 'Current' })),
    })),
  };
}

/** Which aggregated-discovery version an Accept header asks for, if any. */
export function wantsAggregated(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  if (!accept) return undefined;
  for (const part of accept.split(',')) {
    if (!/as=APIGroupDiscoveryList/.test(part) || !/g=apidiscovery\.k8s\.io/.test(part)) continue;
    if (/v=v2beta1/.test(part)) return 'v2beta1';
    if (/v=v2(\b|;|$)/.test(part)) return 'v2';
  }
  return undefined;
}
