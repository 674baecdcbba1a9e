/**
 * A container's environment and argv as the kubelet computes them: `env` with values, the downward
 * API (`fieldRef`), ConfigMap and Secret keys, `envFrom`, and `$(VAR)` expansion — plus the sandbox's
 * own POD_IP, POD_NAME, POD_NAMESPACE and PORT.
 */
import type { Container, EnvVar, EnvFromSource, Pod } from 'kubernetes-types/core/v1';

/** Where env values come from besides the pod itself. */
export interface EnvContext {
  podIP: string;
  hostIP: string;
  /** The data of a ConfigMap or Secret (Secret values already decoded), or undefined if it does not exist. */
  lookup(kind: 'ConfigMap' | 'Secret', namespace: string, name: string): Record<string, string> | undefined;
}

export type EnvResult = { ok: true; env: Record<string, string> } | { ok: false; message: string };

const FIELD_LABEL = /^metadata\.(labels|annotations)\['(.+)'\]$/;

/** The value of a downward-API field path, or undefined if the path is not supported. */
export function fieldRefValue(
  pod: Pod,
  fieldPath: string,
  ctx: Pick<EnvContext, 'podIP' | 'hostIP'>,
): string | undefined {
  const m = FIELD_LABEL.exec(fieldPath);
  if (m) {
    const map = m[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations;
    return map?.[m[2]] ?? '';
  }
  switch (fieldPath) {
    case 'metadata.name':
      return pod.metadata?.name ?? '';
    case 'metadata.namespace':
      return pod.metadata?.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata?.uid ?? '';
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.podIP':
    case 'status.podIPs':
      return ctx.podIP;
    case 'status.hostIP':
    case 'status.hostIPs':
      return ctx.hostIP;
    default:
      return undefined;
  }
}

/** Expands `$(NAME)` from `vars`; `$$(NAME)` is an escaped literal; unknown names stay as written. */
export function expandVars(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (whole, name: string | undefined) => {
    if (whole === '$$') return '$';
    return name !== undefined && Object.prototype.hasOwnProperty.call(vars, name) ? vars[name] : whole;
  });
}

function keyRef(
  kind: 'ConfigMap' | 'Secret',
  ns: string,
  name: string,
  key: string,
  optional: boolean,
  ctx: EnvContext,
): { value?: string; error?: string } {
  const data = ctx.lookup(kind, ns, name);
  if (!data) return optional ? {} : { error: `${kind.toLowerCase()} "${name}" not found` };
  if (!(key in data)) return optional ? {} : { error: `couldn't find key ${key} in ${kind} ${ns}/${name}` };
  return { value: data[key] };
}

function fromSource(src: EnvFromSource, ns: string, ctx: EnvContext, out: Record<string, string>): string | undefined {
  const ref = src.configMapRef ?? src.secretRef;
  if (!ref) return undefined;
  const kind = src.configMapRef ? 'ConfigMap' : 'Secret';
  const data = ctx.lookup(kind, ns, ref.name ?? '');
  if (!data) return ref.optional ? undefined : `${kind.toLowerCase()} "${ref.name ?? ''}" not found`;
  for (const [k, v] of Object.entries(data)) out[`${src.prefix ?? ''}${k}`] = v;
  return undefined;
}

function envVarValue(
  pod: Pod,
  v: EnvVar,
  vars: Record<string, string>,
  ctx: EnvContext,
): { value?: string; error?: string } {
  const ns = pod.metadata?.namespace ?? 'default';
  if (v.valueFrom?.fieldRef) {
    const value = fieldRefValue(pod, v.valueFrom.fieldRef.fieldPath, ctx);
    return value === undefined ? { error: `unsupported fieldPath: ${v.valueFrom.fieldRef.fieldPath}` } : { value };
  }
  const cm = v.valueFrom?.configMapKeyRef;
  if (cm) return keyRef('ConfigMap', ns, cm.name ?? '', cm.key, cm.optional ?? false, ctx);
  const secret = v.valueFrom?.secretKeyRef;
  if (secret) return keyRef('Secret', ns, secret.name ?? '', secret.key, secret.optional ?? false, ctx);
  if (v.valueFrom) return { error: `unsupported valueFrom for ${v.name}` };
  return { value: expandVars(v.value ?? '', vars) };
}

/**
 * The environment of `container`: PATH and HOSTNAME from the node, the sandbox's POD_* and PORT, then
 * `envFrom`, then `env` (later entries win, and `$(VAR)` sees the ones before it).
 */
export function containerEnv(pod: Pod, container: Container, ctx: EnvContext): EnvResult {
  const firstPort = container.ports?.[0]?.containerPort;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOSTNAME: pod.metadata?.name ?? '',
    POD_IP: ctx.podIP,
    POD_NAME: pod.metadata?.name ?? '',
    POD_NAMESPACE: pod.metadata?.namespace ?? 'default',
  };
  if (firstPort !== undefined) env.PORT = String(firstPort);
  const ns = pod.metadata?.namespace ?? 'default';
  for (const src of container.envFrom ?? []) {
    const error = fromSource(src, ns, ctx, env);
    if (error) return { ok: false, message: error };
  }
  for (const v of container.env ?? []) {
    const { value, error } = envVarValue(pod, v, env, ctx);
    if (error) return { ok: false, message: error };
    if (value !== undefined) env[v.name] = value;
  }
  return { ok: true, env };
}

/** `command` and `args` with `$(VAR)` references expanded, as the kubelet does before starting a container. */
export function expandCommand(
  container: Container,
  env: Readonly<Record<string, string>>,
): { command?: string[]; args?: string[] } {
  return {
    command: container.command?.map((s) => expandVars(s, env)),
    args: container.args?.map((s) => expandVars(s, env)),
  };
}
