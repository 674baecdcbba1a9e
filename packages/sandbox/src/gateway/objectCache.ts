/**
 * The gateway's view of the cluster: Services, EndpointSlices, HTTPRoutes and Pods kept current by
 * registry watches, with a version number that moves on every change so the routing table can be
 * rebuilt only when something it reads changed.
 */
import type { Pod, Service } from 'kubernetes-types/core/v1';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1';
import type { Registry } from '../apiServer/registry';
import { resource } from '../apiServer/resources';
import type { StoreWatch } from '../apiServer/store';
import type { KubeObject } from '../apiServer/types';
import type { HTTPRoute } from './httpRouteTypes';
import type { RouteSnapshot } from './routeTable';

const WATCHED = ['services', 'endpointslices', 'httproutes', 'pods'] as const;
type Watched = (typeof WATCHED)[number];

/** Watches the kinds routing reads; `snapshot()` answers the current objects. */
export class ObjectCache {
  private readonly objects = new Map<Watched, Map<string, KubeObject>>(WATCHED.map((w) => [w, new Map()]));
  private readonly watches: StoreWatch[] = [];
  /** Moves on every change seen. */
  version = 0;

  constructor(private readonly registry: Registry) {}

  /** Starts the watches; the current objects are in the cache when this returns. */
  start(): void {
    if (this.watches.length > 0) return;
    for (const kind of WATCHED) {
      const bucket = this.objects.get(kind) as Map<string, KubeObject>;
      this.watches.push(
        this.registry.watch(resource(kind), {}, (ev) => {
          const k = `${ev.object.metadata.namespace ?? ''}/${ev.object.metadata.name ?? ''}`;
          if (ev.type === 'ADDED' || ev.type === 'MODIFIED') bucket.set(k, ev.object);
          else if (ev.type === 'DELETED') bucket.delete(k);
          else return;
          this.version++;
        }),
      );
    }
  }

  stop(): void {
    for (const w of this.watches.splice(0)) w.stop();
  }

  snapshot(): RouteSnapshot {
    const all = (kind: Watched): unknown[] => [...(this.objects.get(kind) as Map<string, KubeObject>).values()];
    return {
      services: all('services') as Service[],
      endpointSlices: all('endpointslices') as EndpointSlice[],
      httpRoutes: all('httproutes') as HTTPRoute[],
      pods: all('pods') as Pod[],
    };
  }
}
