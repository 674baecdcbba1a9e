/**
 * Every HTTPRoute and ReplicaSet change in a namespace, in commit order, from watches on the API server
 * under test (the home-made one or the real kube-apiserver). Two watch streams do not say which of their
 * events came first, so changes are ordered by resourceVersion: one counter across all kinds on both
 * control planes (etcd's revision on the real one).
 */
import type { KubeObject, Sandbox } from '@ramp/sandbox';
import { resource } from '@ramp/sandbox';

export interface Change {
  kind: 'route' | 'rs';
  name: string;
  resourceVersion: number;
  canaryWeight?: number;
  replicas?: number;
}

export interface ChangeRecorder {
  /** The changes seen so far, in commit order. */
  changes(): Change[];
  stop(): void;
}

function change(o: KubeObject & { spec?: Record<string, unknown> }): Change | undefined {
  const resourceVersion = Number(o.metadata.resourceVersion ?? 0);
  if (o.kind === 'HTTPRoute') {
    const refs = ((o.spec?.rules as { backendRefs?: { name: string; weight?: number }[] }[]) ?? []).flatMap(
      (r) => r.backendRefs ?? [],
    );
    return {
      kind: 'route',
      name: o.metadata.name ?? '',
      resourceVersion,
      canaryWeight: refs.find((b) => b.name.endsWith('-canary'))?.weight ?? 0,
    };
  }
  if (o.kind === 'ReplicaSet')
    return { kind: 'rs', name: o.metadata.name ?? '', resourceVersion, replicas: Number(o.spec?.replicas ?? 0) };
  return undefined;
}

/** Starts recording; resolves once both watches have listed what exists (which is not recorded). */
export async function recordChanges(sb: Sandbox, ns: string): Promise<ChangeRecorder> {
  const seen: Change[] = [];
  let live = false;
  const watches = ['httproutes', 'replicasets'].map((kind) =>
    sb.cluster.watch(resource(kind), { namespace: ns }, (e) => {
      if (!live || e.type === 'DELETED') return;
      const c = change(e.object);
      if (c) seen.push(c);
    }),
  );
  await Promise.all(watches.map((w) => w.synced));
  live = true;
  return {
    changes: () => [...seen].sort((a, b) => a.resourceVersion - b.resourceVersion),
    stop: () => watches.forEach((w) => w.stop()),
  };
}
