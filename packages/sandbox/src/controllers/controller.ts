/**
 * What every sandbox controller shares: watches that turn changes into keys, one work queue that
 * processes keys, a periodic resync that re-queues every key to repair drift, and a lifecycle.
 * A subclass says which watches feed which keys (`setup`), how to reconcile one key (`sync`), and which
 * keys a resync visits (`resyncKeys`).
 */
import type { Registry } from '../apiServer/registry';
import type { ResourceType } from '../apiServer/resources';
import type { StoreWatch, WatchOptions } from '../apiServer/store';
import type { WatchEvent } from '../apiServer/types';
import { WorkQueue } from './workQueue';

export type ControllerState = 'new' | 'running' | 'closed';

export interface ControllerOptions {
  registry: Registry;
  /** How often every key is reconciled again even without a change; 0 turns resync off. */
  resyncMs?: number;
  /** Told of failed reconciles (the key is retried with back-off whatever this does). */
  onError?: (controller: string, key: string, err: unknown) => void;
}

/** The lifecycle and plumbing of a controller; subclasses implement the reconcile. */
export abstract class Controller {
  abstract readonly name: string;
  protected readonly registry: Registry;
  protected readonly queue: WorkQueue;
  private readonly watches: StoreWatch[] = [];
  private resyncTimer: NodeJS.Timeout | undefined;
  private stateValue: ControllerState = 'new';
  private readonly resyncMs: number;

  constructor(opts: ControllerOptions) {
    this.registry = opts.registry;
    this.resyncMs = opts.resyncMs ?? 30_000;
    this.queue = new WorkQueue({
      handler: (key) => this.sync(key),
      onError: (key, err) => opts.onError?.(this.name, key, err),
    });
  }

  get state(): ControllerState {
    return this.stateValue;
  }

  /** How many reconciles have run (to see that work happened, e.g. resyncs that wrote nothing). */
  get reconciles(): number {
    return this.queue.processed;
  }

  /** Opens the watches (which queue every existing object) and the resync timer. */
  start(): void {
    if (this.stateValue !== 'new')
      throw new Error(`${this.name}: cannot start a controller that is ${this.stateValue}`);
    this.stateValue = 'running';
    this.setup();
    if (this.resyncMs > 0) {
      this.resyncTimer = setInterval(() => {
        for (const key of this.resyncKeys()) this.queue.add(key);
      }, this.resyncMs);
      this.resyncTimer.unref();
    }
  }

  /** Stops watches, timers and the queue. Safe to call twice; every step runs even if one fails. */
  close(): void {
    if (this.stateValue === 'closed') return;
    this.stateValue = 'closed';
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    for (const w of this.watches.splice(0)) {
      try {
        w.stop();
      } catch {
        // Stopping an in-memory watch cannot fail in a way worth reporting; the others still stop.
      }
    }
    this.queue.close();
  }

  /** Watches `t` (every kind when undefined), handing each event to `onEvent`. */
  protected watch(t: ResourceType | undefined, onEvent: (e: WatchEvent) => void, opts: WatchOptions = {}): void {
    this.watches.push(
      this.registry.watch(t, opts, (e) => {
        if (this.stateValue === 'running') onEvent(e);
      }),
    );
  }

  /** Opens the watches that feed the queue. */
  protected abstract setup(): void;

  /** Reconciles one key; throwing retries it with back-off. */
  protected abstract sync(key: string): void;

  /** Every key a resync should visit. */
  protected abstract resyncKeys(): Iterable<string>;
}

/** "ns/name" → [ns, name]. */
export function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return i < 0 ? ['', key] : [key.slice(0, i), key.slice(i + 1)];
}
