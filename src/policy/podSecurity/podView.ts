/**
 * A read-only view of a pod template as plain JSON (what a plan holds): the pod spec, its metadata and
 * every container of every kind with the field path users wrote it at, so each Pod Security Standards
 * control reads fields one way and names them the same way.
 */

/** A JSON object, or an empty one for anything else (a missing or mistyped field reads as unset). */
export type Json = Record<string, unknown>;

export function obj(v: unknown): Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
}

export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** `v` when it is a string, else undefined. */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** A path segment for a map key: `.name` when it reads plainly, `["a/b"]` otherwise. */
export function key(k: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`;
}

/** One container of the pod, with where it is. */
export interface ContainerView {
  /** `containers`, `initContainers` or `ephemeralContainers`. */
  kind: string;
  name: string;
  /** `spec.template.spec.containers[0]`. */
  path: string;
  c: Json;
  /** Its securityContext (empty when it has none). */
  sc: Json;
}

/** What the controls read. */
export interface PodView {
  /** The template's path in the plan (`spec.template`). */
  path: string;
  metadata: Json;
  spec: Json;
  /** The pod-level securityContext (empty when none). */
  sc: Json;
  containers: ContainerView[];
  /** `spec.os.name` is windows: some restricted controls do not apply (as Kubernetes decides). */
  windows: boolean;
  /** `spec.hostUsers: false`: the pod runs in a user namespace, which relaxes some controls. */
  userNamespace: boolean;
}

const CONTAINER_KINDS = ['containers', 'initContainers', 'ephemeralContainers'] as const;

/** The view of `template` (a PodTemplateSpec as JSON) found at `path` in the plan. */
export function podView(template: unknown, path: string): PodView {
  const t = obj(template);
  const spec = obj(t.spec);
  const containers: ContainerView[] = [];
  for (const kind of CONTAINER_KINDS) {
    arr(spec[kind]).forEach((raw, i) => {
      const c = obj(raw);
      containers.push({
        kind,
        name: str(c.name) ?? `#${i}`,
        path: `${path}.spec.${kind}[${i}]`,
        c,
        sc: obj(c.securityContext),
      });
    });
  }
  return {
    path,
    metadata: obj(t.metadata),
    spec,
    sc: obj(spec.securityContext),
    containers,
    windows: str(obj(spec.os).name) === 'windows',
    userNamespace: spec.hostUsers === false,
  };
}
