/**
 * ClusterApi over the home-made API server's registry in this process: the same rules as its HTTP
 * layer (validation, status subresource, graceful pod deletion), without the round trip. Watches deliver
 * the current objects synchronously, so `synced` is settled when `watch()` returns.
 */
import type { Registry } from '../apiServer/registry';
import { findResource, type ResourceType } from '../apiServer/resources';
import { parseFieldSelector, parseLabelSelector } from '../apiServer/selectors';
import { StatusError } from '../apiServer/statusError';
import { clone, type KubeObject } from '../apiServer/types';
import type {
  ApiResource,
  ClusterApi,
  ClusterDeleteOptions,
  ClusterEvent,
  ClusterListOptions,
  ClusterWatch,
  IssuedToken,
} from './clusterApi';

function served(r: ApiResource): ResourceType {
  const t = findResource(r.group, r.version, r.resource);
  if (!t) throw new StatusError('NotFound', `the server could not find the requested resource (${r.resource})`);
  return t;
}

function storeOptions(t: ResourceType, o: ClusterListOptions) {
  return {
    namespace: o.namespace,
    labelSelector: parseLabelSelector(o.labelSelector),
    fieldSelector: parseFieldSelector(o.fieldSelector, t.kind),
  };
}

export class RegistryCluster implements ClusterApi {
  readonly kind = 'home-made' as const;

  constructor(readonly registry: Registry) {}

  get(r: ApiResource, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
    return this.run(() => {
      const o = this.registry.tryGet(served(r), namespace, name);
      return o && clone(o);
    });
  }

  list(r: ApiResource, opts: ClusterListOptions = {}): Promise<KubeObject[]> {
    return this.run(() => {
      const t = served(r);
      return this.registry.list(t, storeOptions(t, opts)).items.map((o) => clone(o));
    });
  }

  create(r: ApiResource, namespace: string | undefined, body: KubeObject): Promise<KubeObject> {
    return this.run(() => clone(this.registry.create(served(r), namespace, body).object));
  }

  update(
    r: ApiResource,
    namespace: string | undefined,
    name: string,
    body: KubeObject,
    opts: { subresource?: 'status' } = {},
  ): Promise<KubeObject> {
    return this.run(() => clone(this.registry.update(served(r), namespace, name, body, opts).object));
  }

  delete(r: ApiResource, namespace: string | undefined, name: string, opts: ClusterDeleteOptions = {}): Promise<void> {
    return this.run(() => void this.registry.delete(served(r), namespace, name, opts));
  }

  watch(r: ApiResource, opts: ClusterListOptions, listener: (e: ClusterEvent) => void): ClusterWatch {
    let stopped = false;
    try {
      const t = served(r);
      const w = this.registry.watch(t, storeOptions(t, opts), (ev) => {
        if (stopped || (ev.type !== 'ADDED' && ev.type !== 'MODIFIED' && ev.type !== 'DELETED')) return;
        listener({ type: ev.type, object: ev.object });
      });
      return {
        synced: Promise.resolve(),
        stop: () => {
          stopped = true;
          w.stop();
        },
      };
    } catch (e) {
      const synced = Promise.reject(e as Error);
      synced.catch(() => undefined);
      return { synced, stop: () => undefined };
    }
  }

  /** The home-made API server has no TokenRequest API. */
  requestToken(): Promise<IssuedToken | undefined> {
    return Promise.resolve(undefined);
  }

  close(): void {
    // Nothing to close: no connections.
  }

  private run<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(fn());
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }
}
