/**
 * Adoption and release, as Kubernetes' ControllerRefManager: a controller owns the objects whose
 * controller reference names it and that its selector matches; it adopts matching orphans and lets
 * go of owned objects its selector no longer matches.
 */
import type { Registry } from '../apiServer/registry';
import type { ResourceType } from '../apiServer/resources';
import { matchesLabels, type Selector } from '../apiServer/selectors';
import { StatusError } from '../apiServer/statusError';
import { clone, type KubeObject } from '../apiServer/types';
import { controllerOf, controllerRef, isDeleting } from './objects';

export interface ClaimInput {
  registry: Registry;
  /** The kind of the candidates (pods for a ReplicaSet, replicasets for a Deployment). */
  type: ResourceType;
  owner: KubeObject;
  ownerType: ResourceType;
  selector: Selector;
  candidates: readonly KubeObject[];
}

function isNotFound(e: unknown): boolean {
  return e instanceof StatusError && e.reason === 'NotFound';
}

/** Writes `o` with its owner references replaced; undefined when the object is gone. */
function writeOwners(
  registry: Registry,
  t: ResourceType,
  o: KubeObject,
  owners: KubeObject['metadata']['ownerReferences'],
): KubeObject | undefined {
  const next = clone(o);
  if (owners && owners.length > 0) next.metadata.ownerReferences = owners;
  else delete next.metadata.ownerReferences;
  try {
    return registry.update(t, o.metadata.namespace, o.metadata.name ?? '', next).object;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** The candidates the owner controls after adopting orphans and releasing strays. */
export function claimObjects(input: ClaimInput): KubeObject[] {
  const { registry, type, owner, ownerType, selector } = input;
  const owned: KubeObject[] = [];
  const ownerDeleting = isDeleting(owner);
  for (const c of input.candidates) {
    if (c.metadata.namespace !== owner.metadata.namespace) continue;
    const ref = controllerOf(c);
    const matches = matchesLabels(selector, c.metadata.labels);
    if (ref) {
      if (ref.uid !== owner.metadata.uid) continue;
      if (matches) owned.push(c);
      // An owner being deleted keeps what it has, so the garbage collector finds every dependent.
      else if (!ownerDeleting)
        writeOwners(
          registry,
          type,
          c,
          (c.metadata.ownerReferences ?? []).filter((r) => r.uid !== owner.metadata.uid),
        );
      continue;
    }
    if (!matches || ownerDeleting || isDeleting(c)) continue;
    const adopted = writeOwners(registry, type, c, [
      ...(c.metadata.ownerReferences ?? []),
      controllerRef(owner, ownerType),
    ]);
    if (adopted) owned.push(adopted);
  }
  return owned;
}
