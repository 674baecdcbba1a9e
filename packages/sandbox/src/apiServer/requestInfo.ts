/**
 * Turns a request's method and path into what Kubernetes calls request info: the resource type,
 * namespace, name, subresource and verb. Paths that are not resource paths return undefined.
 */
import { findResource, type ResourceType } from './resources';
import { StatusError } from './statusError';

export interface ResourceRequest {
  type: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
  verb: 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';
}

export type PathInfo =
  | { kind: 'resource'; req: ResourceRequest }
  | { kind: 'groupVersion'; group: string; version: string }
  | { kind: 'group'; group: string };

function isTrue(v: string | null): boolean {
  return v === 'true' || v === '1';
}

/** Parses `/api/v1/namespaces/ns/pods/name/status` and friends. */
export function parsePath(method: string, path: string, query: URLSearchParams): PathInfo | undefined {
  const seg = path
    .split('/')
    .filter((s) => s.length > 0)
    .map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (seg[0] === 'api' && seg.length >= 2) {
    group = '';
    version = seg[1];
    rest = seg.slice(2);
  } else if (seg[0] === 'apis' && seg.length >= 2) {
    group = seg[1];
    if (seg.length === 2) return { kind: 'group', group };
    version = seg[2];
    rest = seg.slice(3);
  } else return undefined;
  if (rest.length === 0) return { kind: 'groupVersion', group, version };
  let legacyWatch = false;
  if (rest[0] === 'watch') {
    legacyWatch = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  let resource: string;
  let name: string | undefined;
  let subresource: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && findResource(group, version, rest[2])?.namespaced) {
    namespace = rest[1];
    [resource, name, subresource] = [rest[2], rest[3], rest[4]];
    if (rest.length > 5) throw new StatusError('NotFound', 'the server could not find the requested resource');
  } else {
    [resource, name, subresource] = [rest[0], rest[1], rest[2]];
    if (rest.length > 3) throw new StatusError('NotFound', 'the server could not find the requested resource');
  }
  const type = findResource(group, version, resource);
  if (!type) throw new StatusError('NotFound', 'the server could not find the requested resource');
  if (subresource && !type.subresources.includes(subresource as never)) {
    throw new StatusError('NotFound', 'the server could not find the requested resource');
  }
  const verb = verbOf(method, name, legacyWatch || isTrue(query.get('watch')));
  return { kind: 'resource', req: { type, namespace, name, subresource, verb } };
}

function verbOf(method: string, name: string | undefined, watch: boolean): ResourceRequest['verb'] {
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (watch) return 'watch';
      return name ? 'get' : 'list';
    case 'POST':
      if (name)
        throw new StatusError('MethodNotAllowed', 'the server does not allow this method on the requested resource');
      return 'create';
    case 'PUT':
      if (!name)
        throw new StatusError('MethodNotAllowed', 'the server does not allow this method on the requested resource');
      return 'update';
    case 'PATCH':
      if (!name)
        throw new StatusError('MethodNotAllowed', 'the server does not allow this method on the requested resource');
      return 'patch';
    case 'DELETE':
      return name ? 'delete' : 'deletecollection';
    default:
      throw new StatusError('MethodNotAllowed', `the server does not allow method ${method}`);
  }
}
