/**
 * The Kubernetes calls the code makes (scripts/chart/kubeCalls.mjs) against the rights the chart grants:
 * what the code calls and no rule allows, and what a rule allows and the code never calls.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO, type RenderedObject } from './helm';

/** One KubeClient.call() site. */
export interface KubeCall {
  verb: string;
  group: string;
  resource: string;
  /** namespaced, namespaceItself (get of the namespace object), allNamespaces (a list across namespaces). */
  scope: string;
  method: string;
  at: string;
}

/** One (verb, group, resource) a Role or ClusterRole grants; namespace undefined for a ClusterRole. */
export interface Grant {
  namespace?: string;
  group: string;
  resource: string;
  verb: string;
  resourceNames?: string[];
}

const SCRIPT = join(REPO, 'scripts', 'chart', 'kubeCalls.mjs');

/** The calls of the product reached from `entry` (default: src/cli/main.ts). */
export function scanCalls(entry?: string): KubeCall[] {
  const out = execFileSync('node', [SCRIPT, '--json', ...(entry ? [entry] : [])], { encoding: 'utf8' });
  return JSON.parse(out) as KubeCall[];
}

/** The scanner's refusal for `entry` (its stderr), or undefined when it accepted it. */
export function scanRefusal(entry: string): string | undefined {
  const r = spawnSync('node', [SCRIPT, '--json', entry], { encoding: 'utf8' });
  return r.status === 0 ? undefined : r.stderr;
}

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/** Every grant of the Roles and ClusterRoles bound to `serviceAccount`. */
export function grantsOf(objects: RenderedObject[], serviceAccount: string): Grant[] {
  const bound = objects.filter(
    (o) =>
      (o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding') &&
      (o.subjects as { kind: string; name: string }[]).some(
        (s) => s.kind === 'ServiceAccount' && s.name === serviceAccount,
      ),
  );
  const grants: Grant[] = [];
  for (const b of bound) {
    const ref = b.roleRef as { kind: string; name: string };
    const role = objects.find(
      (o) => o.kind === ref.kind && o.metadata.name === ref.name && o.metadata.namespace === b.metadata.namespace,
    );
    for (const r of (role?.rules ?? []) as Rule[])
      for (const group of r.apiGroups)
        for (const resource of r.resources)
          for (const verb of r.verbs)
            grants.push({ namespace: role?.metadata.namespace, group, resource, verb, resourceNames: r.resourceNames });
  }
  return grants;
}

function matches(g: Grant, c: KubeCall): boolean {
  return g.group === c.group && g.resource === c.resource && g.verb === c.verb;
}

/**
 * The calls no grant allows. Without `namespaces` (a ClusterRole install) every call must be allowed
 * cluster-wide; with them, every call in each namespace (the namespace object by its name only), and the
 * lists across namespaces are not made (the workers get --namespaces).
 */
export function disallowedCalls(calls: KubeCall[], grants: Grant[], namespaces?: string[]): string[] {
  const out: string[] = [];
  for (const c of calls) {
    const label = `${c.verb} ${c.group || 'core'}/${c.resource} (${c.scope}, ${c.at})`;
    if (!namespaces) {
      if (!grants.some((g) => g.namespace === undefined && !g.resourceNames && matches(g, c))) out.push(label);
      continue;
    }
    if (c.scope === 'allNamespaces') continue;
    for (const ns of namespaces) {
      const ok = grants.some(
        (g) =>
          g.namespace === ns &&
          matches(g, c) &&
          (c.scope === 'namespaceItself' ? g.resourceNames?.includes(ns) : !g.resourceNames),
      );
      if (!ok) out.push(`${label} in ${ns}`);
    }
  }
  return [...new Set(out)];
}

/** The grants no call needs. */
export function unusedGrants(calls: KubeCall[], grants: Grant[]): string[] {
  return grants
    .filter((g) => !calls.some((c) => matches(g, c)))
    .map((g) => `${g.verb} ${g.group || 'core'}/${g.resource}${g.namespace ? ` in ${g.namespace}` : ''}`);
}
