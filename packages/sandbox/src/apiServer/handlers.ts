/**
 * The resource verbs (get, list, create, update, patch, delete, deletecollection) and the scale
 * subresource and review kinds, as pure request → response functions over the registry. Watches and
 * logs stream, so they live in watchStream.ts and the server.
 */
import { apiVersionOf, type ResourceType } from './resources';
import type { DeleteOptions, PropagationPolicy, Registry, WriteOptions } from './registry';
import type { ResourceRequest } from './requestInfo';
import { parseFieldSelector, parseLabelSelector } from './selectors';
import { StatusError } from './statusError';
import { toTable, wantsTable, type IncludeObject } from './tables';
import { clone, type KubeObject } from './types';
import { parseFieldValidation } from './validation';
import { mergePatch, jsonPatch, type PatchType } from './patch';
import { isAdmin, type TokenAuthenticator, type UserInfo } from './auth';

export interface HandlerInput {
  req: ResourceRequest;
  query: URLSearchParams;
  accept: string | undefined;
  body: unknown;
  patchType?: PatchType;
  user: UserInfo;
}

export interface HandlerOutput {
  status: number;
  body: unknown;
  warnings?: string[];
}

function writeOptions(q: URLSearchParams, subresource?: string): WriteOptions {
  const dryRun = q.getAll('dryRun');
  if (dryRun.some((d) => d !== 'All'))
    throw StatusError.badRequest(`unsupported dry run directive: ${dryRun.join(',')}`);
  return {
    dryRun: dryRun.length > 0,
    fieldValidation: parseFieldValidation(q.get('fieldValidation') ?? undefined),
    subresource: subresource === 'status' ? 'status' : undefined,
  };
}

function includeObject(q: URLSearchParams): IncludeObject {
  const v = q.get('includeObject');
  if (v === 'None' || v === 'Object' || v === 'Metadata') return v;
  return 'Metadata';
}

export function listOptions(type: ResourceType, q: URLSearchParams, namespace: string | undefined) {
  const limit = q.get('limit');
  return {
    namespace,
    labelSelector: parseLabelSelector(q.get('labelSelector') ?? undefined),
    fieldSelector: parseFieldSelector(q.get('fieldSelector') ?? undefined, type.kind),
    limit: limit ? Number(limit) : undefined,
    continueToken: q.get('continue') ?? undefined,
  };
}

function asTableIfAsked(
  type: ResourceType,
  input: HandlerInput,
  objects: readonly KubeObject[],
  meta: Record<string, unknown>,
): unknown {
  return toTable(type.kind, objects, meta, { includeObject: includeObject(input.query) });
}

function get(registry: Registry, input: HandlerInput): HandlerOutput {
  const { type, namespace, name } = input.req;
  const obj = registry.get(type, namespace, name ?? '');
  if (wantsTable(input.accept))
    return { status: 200, body: asTableIfAsked(type, input, [obj], { resourceVersion: obj.metadata.resourceVersion }) };
  return { status: 200, body: obj };
}

function list(registry: Registry, input: HandlerInput): HandlerOutput {
  const { type, namespace } = input.req;
  const result = registry.list(type, listOptions(type, input.query, namespace));
  const meta: Record<string, unknown> = { resourceVersion: result.resourceVersion };
  if (result.continueToken) meta.continue = result.continueToken;
  if (result.remainingItemCount !== undefined) meta.remainingItemCount = result.remainingItemCount;
  if (wantsTable(input.accept)) return { status: 200, body: asTableIfAsked(type, input, result.items, meta) };
  return {
    status: 200,
    body: { kind: type.listKind, apiVersion: apiVersionOf(type), metadata: meta, items: result.items },
  };
}

function deleteOptions(q: URLSearchParams, body: unknown): DeleteOptions {
  const b = (body && typeof body === 'object' ? body : {}) as {
    propagationPolicy?: string;
    gracePeriodSeconds?: number;
    preconditions?: { uid?: string; resourceVersion?: string };
    dryRun?: string[];
    orphanDependents?: boolean;
  };
  let policy = (q.get('propagationPolicy') ?? b.propagationPolicy) as string | undefined;
  if (policy === undefined && (q.get('orphanDependents') === 'true' || b.orphanDependents === true)) policy = 'Orphan';
  if (policy !== undefined && !['Background', 'Foreground', 'Orphan'].includes(policy)) {
    throw StatusError.invalid('', 'DeleteOptions', '', [
      {
        field: 'propagationPolicy',
        message: `Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`,
      },
    ]);
  }
  const graceQ = q.get('gracePeriodSeconds');
  const grace = graceQ !== null ? Number(graceQ) : b.gracePeriodSeconds;
  if (grace !== undefined && (!Number.isFinite(grace) || grace < 0))
    throw StatusError.badRequest('gracePeriodSeconds must be a non-negative integer');
  const dryRun = [...q.getAll('dryRun'), ...(b.dryRun ?? [])];
  return {
    propagationPolicy: policy as PropagationPolicy | undefined,
    gracePeriodSeconds: grace,
    preconditions: b.preconditions,
    dryRun: dryRun.includes('All'),
  };
}

function scaleOf(type: ResourceType, obj: KubeObject): KubeObject {
  const spec = (obj.spec ?? {}) as { replicas?: number; selector?: { matchLabels?: Record<string, string> } };
  const status = (obj.status ?? {}) as { replicas?: number };
  const selector = Object.entries(spec.selector?.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      creationTimestamp: obj.metadata.creationTimestamp,
    },
    spec: { replicas: spec.replicas ?? 0 },
    status: { replicas: status.replicas ?? 0, selector },
  };
}

function scale(registry: Registry, input: HandlerInput): HandlerOutput {
  const { type, namespace, name, verb } = input.req;
  const obj = registry.get(type, namespace, name ?? '');
  const current = scaleOf(type, obj);
  if (verb === 'get') return { status: 200, body: current };
  let wanted: KubeObject;
  if (verb === 'update') wanted = input.body as KubeObject;
  else if (verb === 'patch')
    wanted = (
      input.patchType === 'json' ? jsonPatch(current, input.body) : mergePatch(current, input.body)
    ) as KubeObject;
  else throw new StatusError('MethodNotAllowed', `the server does not allow this method on ${type.resource}/scale`);
  const replicas = (wanted?.spec as { replicas?: unknown } | undefined)?.replicas;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw StatusError.invalid('autoscaling', 'Scale', name ?? '', [
      {
        field: 'spec.replicas',
        message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
      },
    ]);
  }
  const next = clone(obj);
  (next.spec as { replicas?: number }).replicas = replicas;
  next.metadata.resourceVersion = wanted.metadata?.resourceVersion || obj.metadata.resourceVersion;
  const { object } = registry.update(type, namespace, name ?? '', next, writeOptions(input.query));
  return { status: 200, body: scaleOf(type, object) };
}

function review(input: HandlerInput, auth: TokenAuthenticator): HandlerOutput {
  const { type } = input.req;
  const body = (input.body ?? {}) as { spec?: Record<string, unknown> };
  const spec = body.spec ?? {};
  const base = { apiVersion: apiVersionOf(type), kind: type.kind, metadata: { creationTimestamp: null }, spec };
  if (type.kind === 'TokenReview') {
    const user = typeof spec.token === 'string' ? auth.authenticate(spec.token) : undefined;
    return {
      status: 201,
      body: {
        ...base,
        status: user
          ? {
              authenticated: true,
              user: { username: user.username, uid: user.uid, groups: user.groups },
              audiences: spec.audiences,
            }
          : { authenticated: false, error: 'invalid bearer token' },
      },
    };
  }
  if (type.kind === 'SelfSubjectAccessReview') {
    const allowed = isAdmin(input.user);
    return {
      status: 201,
      body: {
        ...base,
        status: {
          allowed,
          ...(allowed ? {} : { reason: 'the sandbox grants everything to system:masters and nothing to others' }),
        },
      },
    };
  }
  const groups = Array.isArray(spec.groups) ? (spec.groups as string[]) : [];
  const allowed = groups.includes('system:masters');
  return {
    status: 201,
    body: {
      ...base,
      status: {
        allowed,
        ...(allowed ? {} : { reason: 'the sandbox grants everything to system:masters and nothing to others' }),
      },
    },
  };
}

/** Handles every non-streaming resource request. */
export function handleResource(registry: Registry, auth: TokenAuthenticator, input: HandlerInput): HandlerOutput {
  const { type, namespace, name, subresource, verb } = input.req;
  if (type.virtual) {
    if (verb !== 'create') throw new StatusError('MethodNotAllowed', `${type.resource} only support create`);
    return review(input, auth);
  }
  if (subresource === 'scale') return scale(registry, input);
  const opts = writeOptions(input.query, subresource);
  switch (verb) {
    case 'get':
      return get(registry, input);
    case 'list':
      return list(registry, input);
    case 'create': {
      const r = registry.create(type, namespace, input.body, opts);
      return { status: 201, body: r.object, warnings: r.warnings };
    }
    case 'update': {
      const r = registry.update(type, namespace, name ?? '', input.body, opts);
      return { status: 200, body: r.object, warnings: r.warnings };
    }
    case 'patch': {
      const existing = registry.tryGet(type, namespace, name ?? '');
      if (!existing && input.patchType === 'apply') {
        const r = registry.create(type, namespace, input.body, opts);
        return { status: 201, body: r.object, warnings: r.warnings };
      }
      const r = registry.patch(type, namespace, name ?? '', input.patchType ?? 'merge', input.body, opts);
      return { status: 200, body: r.object, warnings: r.warnings };
    }
    case 'delete': {
      const r = registry.delete(type, namespace, name ?? '', deleteOptions(input.query, input.body));
      return { status: r.removed ? 200 : 202, body: r.object };
    }
    case 'deletecollection': {
      const items = registry.deleteCollection(
        type,
        listOptions(type, input.query, namespace),
        deleteOptions(input.query, input.body),
      );
      return { status: 200, body: { kind: type.listKind, apiVersion: apiVersionOf(type), metadata: {}, items } };
    }
    case 'watch':
      throw new StatusError('InternalError', 'watch is streamed, not handled here');
  }
}
