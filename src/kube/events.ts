/**
 * Kubernetes Events on the objects Ramp acts on, as `kubectl describe` shows them (core/v1 Events with
 * Ramp as the reporting controller). Best effort: an event that cannot be written is logged by the
 * caller, never a reason to fail what it tells of.
 */
import type { CoreV1Event } from '@kubernetes/client-node';
import type { KubeClient } from './client';

/** The reporting controller Ramp's events name. */
export const REPORTING_CONTROLLER = 'ramp.dev/ramp';

export interface KubeEvent {
  namespace: string;
  object: { apiVersion: string; kind: string; name: string; uid?: string };
  type: 'Normal' | 'Warning';
  /** UpperCamelCase, machine-readable: `OrphanScaledDown`. */
  reason: string;
  message: string;
}

/** The Event object for `e` at `now`, pure. */
export function eventManifest(e: KubeEvent, now: Date): CoreV1Event {
  const suffix = `${now.getTime().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${e.object.name}.${suffix}`, namespace: e.namespace },
    involvedObject: { ...e.object, namespace: e.namespace },
    type: e.type,
    reason: e.reason,
    message: e.message.slice(0, 1024),
    source: { component: REPORTING_CONTROLLER },
    reportingComponent: REPORTING_CONTROLLER,
    reportingInstance: REPORTING_CONTROLLER,
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
  };
}

/** Writes a Kubernetes Event about an object. */
export async function recordEvent(client: KubeClient, e: KubeEvent, now = new Date()): Promise<void> {
  await client.call('create', 'events', (o) =>
    client.core.createNamespacedEvent({ namespace: e.namespace, body: eventManifest(e, now) }, o),
  );
}
