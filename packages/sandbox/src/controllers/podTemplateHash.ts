/**
 * The pod-template-hash: a stable name for a pod template, as Kubernetes' deployment controller
 * computes it (FNV-32a, rendered in a vowel-free alphabet), and template equality that ignores it.
 */
import type { PodTemplateSpec } from 'kubernetes-types/core/v1';

export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** JSON with object keys sorted, so equal values render equally whatever order their keys were written in. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeys(x);
    }
    return out;
  }
  return v;
}

function fnv32a(bytes: Uint8Array, seed = 0x811c9dc5): number {
  let h = seed;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h >>> 0;
}

/**
 * The pod-template-hash of a template: FNV-32a of its canonical JSON and the collision count, rendered
 * as Kubernetes renders it (the decimal digits mapped onto a vowel-free alphabet, up to 10 chars).
 */
export function computeHash(template: PodTemplateSpec | undefined, collisionCount?: number): string {
  let h = fnv32a(Buffer.from(canonicalJson(template ?? {}), 'utf8'));
  if (collisionCount !== undefined && collisionCount !== null) {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(collisionCount >>> 0);
    h = fnv32a(b, h);
  }
  return [...String(h)].map((c) => SAFE_ALPHABET[c.charCodeAt(0) % SAFE_ALPHABET.length]).join('');
}

/** Drops empty maps and lists, which Kubernetes' semantic equality treats as absent. */
function pruneEmpty(v: unknown): unknown {
  if (Array.isArray(v)) return v.length === 0 ? undefined : v.map(pruneEmpty);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const p = pruneEmpty(x);
      if (p !== undefined) out[k] = p;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  return v;
}

/** Whether two pod templates are the same but for the pod-template-hash label. */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  const strip = (t: PodTemplateSpec | undefined): unknown => {
    const c = structuredClone(t ?? {}) as { metadata?: { labels?: Record<string, string> } };
    if (c.metadata?.labels) delete c.metadata.labels[POD_TEMPLATE_HASH_LABEL];
    return pruneEmpty(c);
  };
  return canonicalJson(strip(a)) === canonicalJson(strip(b));
}

/** The pod template of the ReplicaSet for `d`: the deployment's, labelled with its hash. */
export function templateWithHash(template: PodTemplateSpec | undefined, hash: string): PodTemplateSpec {
  const t = structuredClone(template ?? {}) as PodTemplateSpec & { metadata: { labels?: Record<string, string> } };
  t.metadata = { ...(t.metadata ?? {}), labels: { ...(t.metadata?.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash } };
  return t;
}
