/**
 * Revisions: a pod template's identity. The hash is over a canonical JSON form (object keys sorted),
 * so the same template written in any key order is the same revision; it is rendered like Kubernetes'
 * pod-template-hash (10 characters of an alphabet without vowels, safe in names and labels).
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../util/canonicalJson';

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

/** The 10-character revision of a pod template. */
export function revisionOf(template: unknown): string {
  const digest = createHash('sha256').update(canonicalJson(template)).digest();
  let out = '';
  for (let i = 0; i < 10; i++) out += SAFE[digest[i] % SAFE.length];
  return out;
}

interface TemplateLike {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: { containers: { name: string; image: string }[] };
}

/**
 * The new version's template for a plan that gives `image:` instead of a template: the stable
 * template with one container's image changed. `image` is `ref` (single-container pods) or
 * `container=ref`. Returns an error message instead when it cannot.
 */
export function templateWithImage<T extends TemplateLike>(stable: T, image: string): T | string {
  const eq = image.indexOf('=');
  const [container, ref] =
    eq > 0 && !image.slice(0, eq).includes('/') ? [image.slice(0, eq), image.slice(eq + 1)] : [undefined, image];
  const containers = stable.spec.containers;
  if (container === undefined && containers.length !== 1) {
    return `the pods have ${containers.length} containers (${containers.map((c) => c.name).join(', ')}); write image as container=reference`;
  }
  const name = container ?? containers[0].name;
  if (!containers.some((c) => c.name === name))
    return `no container "${name}" in the stable template (it has ${containers.map((c) => c.name).join(', ')})`;
  const next = structuredClone(stable);
  for (const c of next.spec.containers) if (c.name === name) c.image = ref;
  return next;
}
