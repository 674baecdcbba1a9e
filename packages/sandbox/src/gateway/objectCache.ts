/**
 * The gateway's view of the cluster: Services, EndpointSlices, HTTPRoutes, Ingresses and Pods kept current by
 * watches (of the home-made registry or the real API server), with a version number that moves on every
 * change so the routing table can be rebuilt only when something it reads changed.
 */
import type { Pod, Service } from 'kubernetes-types/core/v1';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1';
import type { Ingress } from 'kubernetes-types/networking/v1';
import { resource } from '../apiServer/resources';
import type { KubeObject } from '../apiServer/types';
import type { ClusterApi, ClusterWatch } from '../cluster/clusterApi';
import type { HTTPRoute } from './httpRouteTypes';
import type { RouteSnapshot } from './routeTable';

const WATCHED = ['services', 'endpointslices', 'httproutes', 'ingresses', 'pods'] as const;
type Watched = (typeof WATCHED)[number];

/** Watches the kinds routing reads; `snapshot()` answers the current objects. */
export class ObjectCache {
  private readonly objects = new Map<Watched, Map<string, KubeObject>>(WATCHED.map((w) => [w, new Map()]));
  private readonly watches: ClusterWatch[] = [];
  /** Moves on every change seen. */
  version = 0;

  constructor(private readonly cluster: ClusterApi) {}

  /** Starts the watches; the current objects are in the cache when this resolves. */
  async start(): Promise<void> {
    if (this.watches.length > 0) return;
    for (const kind of WATCHED) {
      const bucket = this.objects.get(kind) as Map<string, KubeObject>;
      this.watches.push(
        this.cluster.watch(resource(kind), {}, (ev) => {
          const k = `${ev.object.metadata.namespace ?? ''}/${ev.object.metadata.name ?? ''}`;
          if (ev.type === 'DELETED') bucket.delete(k);
          else bucket.set(k, ev.object);
          this.version++;
        }),
      );
    }
    await Promise.all(this.watches.map((w) => w.synced));
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
      ingresses: all('ingresses') as Ingress[],
      pods: all('pods') as Pod[],
    };
  }
}
