/**
 * The PATCH content types Kubernetes accepts: JSON merge patch (RFC 7386), JSON patch (RFC 6902, by
 * fast-json-patch) and strategic merge patch, whose list semantics (merge by key, order directives,
 * deletes) come from the `x-kubernetes-patch-*` extensions of the kind's OpenAPI schema.
 */
import { applyPatch, validate as validateJsonPatch, type Operation } from 'fast-json-patch';
import type { SchemaNode, SchemaWalker } from '@ramp/kube-schemas';
import { kindSchema } from './openapi/schemas';
import type { ResourceType } from './resources';
import { StatusError } from './statusError';
import type { KubeObject } from './types';

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';

const CONTENT_TYPES: Record<string, PatchType> = {
  'application/merge-patch+json': 'merge',
  'application/json-patch+json': 'json',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

export function patchTypeOf(contentType: string | undefined): PatchType {
  const base = (contentType ?? '').split(';')[0].trim().toLowerCase();
  const t = CONTENT_TYPES[base];
  if (!t) {
    throw new StatusError(
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: ${Object.keys(CONTENT_TYPES).join(', ')}`,
    );
  }
  return t;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonMap = { [k: string]: Json };

function isMap(v: unknown): v is JsonMap {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** RFC 7386: objects merge recursively, null deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isMap(patch)) return patch;
  const out: JsonMap = isMap(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v) as Json;
  }
  return out;
}

export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw StatusError.badRequest('json patch must be an array of operations');
  const err = validateJsonPatch(ops as Operation[]);
  if (err) throw StatusError.badRequest(`invalid json patch: ${err.message.split('\n')[0]}`);
  try {
    return applyPatch(structuredClone(target), ops as Operation[], true, true).newDocument;
  } catch (e) {
    const name = (e as { name?: string }).name;
    const msg = (e as Error).message.split('\n')[0];
    throw new StatusError(
      name === 'TEST_OPERATION_FAILED' ? 'Conflict' : 'Invalid',
      `the server rejected our request due to an error in our request: ${msg}`,
    );
  }
}

class StrategicMerger {
  constructor(private readonly w: SchemaWalker) {}

  mergeMap(original: JsonMap | undefined, patch: JsonMap, schema: SchemaNode | undefined): JsonMap | undefined {
    const directive = patch['$patch'];
    if (directive === 'delete') return undefined;
    if (directive === 'replace') {
      const { $patch: _d, ...rest } = patch;
      return stripDirectives(rest) as JsonMap;
    }
    const out: JsonMap = { ...(original ?? {}) };
    const retain = patch['$retainKeys'];
    for (const [k, v] of Object.entries(patch)) {
      if (
        k === '$patch' ||
        k === '$retainKeys' ||
        k.startsWith('$setElementOrder/') ||
        k.startsWith('$deleteFromPrimitiveList/')
      )
        continue;
      const sub = this.w.property(schema, k);
      if (v === null) {
        delete out[k];
        continue;
      }
      if (Array.isArray(v)) {
        const merged = this.mergeList(
          Array.isArray(out[k]) ? (out[k] as Json[]) : undefined,
          v,
          sub,
          patch[`$setElementOrder/${k}`],
        );
        out[k] = merged;
        continue;
      }
      if (isMap(v)) {
        const m = this.mergeMap(isMap(out[k]) ? (out[k] as JsonMap) : undefined, v, sub);
        if (m === undefined) delete out[k];
        else out[k] = m;
        continue;
      }
      out[k] = v;
    }
    for (const [k, v] of Object.entries(patch)) {
      if (!k.startsWith('$deleteFromPrimitiveList/') || !Array.isArray(v)) continue;
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      if (Array.isArray(out[field])) out[field] = (out[field] as Json[]).filter((x) => !v.includes(x));
    }
    for (const [k, v] of Object.entries(patch)) {
      if (!k.startsWith('$setElementOrder/') || !Array.isArray(v)) continue;
      const field = k.slice('$setElementOrder/'.length);
      if (Array.isArray(v) && !(field in patch) && Array.isArray(out[field])) {
        out[field] = this.reorder(out[field] as Json[], v, this.w.property(schema, field));
      }
    }
    if (Array.isArray(retain)) {
      for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k];
    }
    return out;
  }

  private mergeList(
    original: Json[] | undefined,
    patch: Json[],
    schema: SchemaNode | undefined,
    order: Json | undefined,
  ): Json[] {
    const strategy = schema?.['x-kubernetes-patch-strategy'] ?? '';
    const key = schema?.['x-kubernetes-patch-merge-key'];
    const replaceAll = patch.some((p) => isMap(p) && p['$patch'] === 'replace');
    if (replaceAll) return patch.filter((p) => !(isMap(p) && p['$patch'] === 'replace')).map(stripDirectives);
    if (!strategy.split(',').includes('merge')) return patch.map(stripDirectives);
    const base = original ? [...original] : [];
    if (!key) {
      // A merge list of primitives (finalizers): union, keeping the original order.
      for (const p of patch) if (!base.some((b) => JSON.stringify(b) === JSON.stringify(p))) base.push(p);
      return Array.isArray(order) ? this.reorder(base, order, schema) : base;
    }
    const itemSchema = this.w.items(schema);
    for (const p of patch) {
      if (!isMap(p)) continue;
      const idx = base.findIndex((b) => isMap(b) && b[key] === p[key]);
      if (p['$patch'] === 'delete') {
        if (idx >= 0) base.splice(idx, 1);
        continue;
      }
      if (idx >= 0) {
        const merged = this.mergeMap(base[idx] as JsonMap, p, itemSchema);
        if (merged === undefined) base.splice(idx, 1);
        else base[idx] = merged;
      } else base.push(stripDirectives(p));
    }
    return Array.isArray(order) ? this.reorder(base, order, schema) : base;
  }

  /** `$setElementOrder`: listed items in the listed order, then any others in their original order. */
  private reorder(list: Json[], order: Json[], schema: SchemaNode | undefined): Json[] {
    const key = schema?.['x-kubernetes-patch-merge-key'];
    const id = (x: Json): string => JSON.stringify(key && isMap(x) ? x[key] : x);
    const pos = new Map(order.map((o, i) => [id(o), i]));
    const listed = list.filter((x) => pos.has(id(x))).sort((a, b) => (pos.get(id(a)) ?? 0) - (pos.get(id(b)) ?? 0));
    return [...listed, ...list.filter((x) => !pos.has(id(x)))];
  }
}

function stripDirectives(v: Json): Json {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (isMap(v)) {
    const out: JsonMap = {};
    for (const [k, x] of Object.entries(v)) {
      if (
        k === '$patch' ||
        k === '$retainKeys' ||
        k.startsWith('$setElementOrder/') ||
        k.startsWith('$deleteFromPrimitiveList/')
      )
        continue;
      out[k] = stripDirectives(x);
    }
    return out;
  }
  return v;
}

/** Strategic merge patch; kinds without a built-in schema (custom resources) refuse it, as Kubernetes. */
export function strategicMergePatch(t: ResourceType, target: KubeObject, patch: unknown): unknown {
  const ks = kindSchema(t);
  if (!ks || t.group === 'gateway.networking.k8s.io') {
    throw new StatusError('UnsupportedMediaType', 'strategic merge patch format is not supported');
  }
  if (!isMap(patch)) throw StatusError.badRequest('strategic merge patch must be a JSON object');
  return new StrategicMerger(ks.walker).mergeMap(target as unknown as JsonMap, patch, ks.walker.resolve(ks.root));
}

/** Applies a parsed patch body of the given type to `target` and returns the new object. */
export function applyPatchOfType(t: ResourceType, type: PatchType, target: KubeObject, patch: unknown): KubeObject {
  switch (type) {
    case 'merge':
      if (!isMap(patch)) throw StatusError.badRequest('merge patch must be a JSON object');
      return mergePatch(target, patch) as KubeObject;
    case 'json':
      return jsonPatch(target, patch) as KubeObject;
    case 'strategic':
      return strategicMergePatch(t, target, patch) as KubeObject;
    case 'apply':
      // Server-side apply without field ownership: the applied configuration is merged strategically
      // (or as a merge patch for custom resources). Enough for `kubectl apply --server-side` to work.
      if (!isMap(patch)) throw StatusError.badRequest('apply patch must be an object');
      return (
        kindSchema(t) && t.group !== 'gateway.networking.k8s.io'
          ? strategicMergePatch(t, target, patch)
          : mergePatch(target, patch)
      ) as KubeObject;
  }
}
