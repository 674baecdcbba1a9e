/**
 * The sandbox's kube-controller-manager: starts the in-process controllers that make the Registry
 * behave like a cluster (ReplicaSets, Deployments, Endpoints, EndpointSlices, garbage collection,
 * namespace deletion) and stops them together.
 */
import type { Registry } from '../apiServer/registry';
import type { Controller } from './controller';
import { DeploymentController } from './deploymentController';
import { EndpointsController } from './endpointsController';
import { EndpointSliceController } from './endpointSliceController';
import { GarbageCollector } from './garbageCollector';
import { NamespaceController } from './namespaceController';
import { ReplicaSetController } from './replicaSetController';

export type ControllerManagerState = 'new' | 'running' | 'closing' | 'closed';

export interface ControllerManagerOptions {
  registry: Registry;
  /** How often every controller reconciles everything again to repair drift (default 30 s; 0: never). */
  resyncMs?: number;
  /** Told of each failed reconcile (it is retried with back-off either way). */
  onError?: (controller: string, key: string, err: unknown) => void;
}

/** Runs every sandbox controller against one Registry. */
export class ControllerManager {
  readonly replicaSets: ReplicaSetController;
  readonly deployments: DeploymentController;
  readonly endpoints: EndpointsController;
  readonly endpointSlices: EndpointSliceController;
  readonly garbageCollector: GarbageCollector;
  readonly namespaces: NamespaceController;
  private stateValue: ControllerManagerState = 'new';
  private closing: Promise<void> | undefined;

  constructor(opts: ControllerManagerOptions) {
    const c = { registry: opts.registry, resyncMs: opts.resyncMs, onError: opts.onError };
    this.replicaSets = new ReplicaSetController(c);
    this.deployments = new DeploymentController(c);
    this.endpoints = new EndpointsController(c);
    this.endpointSlices = new EndpointSliceController(c);
    this.garbageCollector = new GarbageCollector(c);
    this.namespaces = new NamespaceController(c);
  }

  get state(): ControllerManagerState {
    return this.stateValue;
  }

  /** Every controller, in start order. */
  get controllers(): readonly Controller[] {
    return [
      this.garbageCollector,
      this.namespaces,
      this.replicaSets,
      this.deployments,
      this.endpoints,
      this.endpointSlices,
    ];
  }

  /** Starts every controller; each first queues what already exists. */
  start(): void {
    if (this.stateValue !== 'new') throw new Error(`controller manager: cannot start when ${this.stateValue}`);
    this.stateValue = 'running';
    for (const c of this.controllers) c.start();
  }

  /** Stops every controller (each one even if another fails to stop). Safe to call twice. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.stateValue = 'closing';
    this.closing = (async () => {
      const errors: unknown[] = [];
      for (const c of this.controllers) {
        try {
          c.close();
        } catch (e) {
          errors.push(e);
        }
      }
      this.stateValue = 'closed';
      if (errors.length > 0) throw new AggregateError(errors, 'controller manager: some controllers failed to stop');
    })();
    return this.closing;
  }
}
