/**
 * The sandbox's etcd: every object of every kind in memory, one global resourceVersion counter, a
 * bounded history of changes for watches (older than the history → 410 Expired, as a compacted etcd),
 * and consistent paginated lists.
 *
 * Stored objects are deeply frozen and returned as they are, so reads cost no copies; callers that
 * want to change one `clone()` it first. Kind-specific rules (defaults, status, graceful deletion)
 * live in the registry above this; the store only keeps versions straight.
 */
import { StatusError } from './statusError';
import { matchesFields, matchesLabels, type FieldRequirement, type Selector } from './selectors';
import { type ResourceType, typeKey } from './resources';
import { objectKey, type KubeObject, type WatchEvent } from './types';

export interface ListOptions {
  namespace?: string;
  labelSelector?: Selector;
  fieldSelector?: FieldRequirement[];
  limit?: number;
  continueToken?: string;
}

export interface ListResult {
  items: readonly KubeObject[];
  resourceVersion: string;
  continueToken?: string;
  remainingItemCount?: number;
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: Selector;
  fieldSelector?: FieldRequirement[];
  /** Unset or "0": start with ADDED for every current object. Otherwise replay changes after it. */
  resourceVersion?: string;
}

export type WatchListener = (event: WatchEvent) => void;

export interface StoreWatch {
  stop(): void;
}

interface Change {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  typeKey: string;
  object: KubeObject;
  prev?: KubeObject;
}

interface Watcher {
  typeKey: string | undefined; // undefined: every type (in-process observers such as the garbage collector)
  opts: WatchOptions;
  listener: WatchListener;
}

interface ContinueSnapshot {
  items: readonly KubeObject[];
  rv: string;
  expires: number;
}

export interface StoreOptions {
  /** How many changes a watch can resume across; older resourceVersions get 410 Expired. */
  historyLimit?: number;
  /** How long a `continue` token stays valid. */
  continueTtlMs?: number;
}

function deepFreeze<T>(obj: T): T {
  if (obj && typeof obj === 'object' && !Object.isFrozen(obj)) {
    Object.freeze(obj);
    for (const v of Object.values(obj as Record<string, unknown>)) deepFreeze(v);
  }
  return obj;
}

function withResourceVersion(obj: KubeObject, rv: number): KubeObject {
  return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rv) } };
}

export class ObjectStore {
  private rv = 1;
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly history: Change[] = [];
  /** Lowest resourceVersion a watch can still start from (exclusive bound of what was compacted). */
  private compactedRv = 0;
  private readonly watchers = new Set<Watcher>();
  private readonly queue: Change[] = [];
  private delivering = false;
  private readonly continues = new Map<string, ContinueSnapshot>();
  private continueSeq = 0;
  private readonly historyLimit: number;
  private readonly continueTtlMs: number;

  constructor(opts: StoreOptions = {}) {
    this.historyLimit = opts.historyLimit ?? 20000;
    this.continueTtlMs = opts.continueTtlMs ?? 5 * 60_000;
  }

  /** The newest resourceVersion: what a list returns. */
  currentResourceVersion(): string {
    return String(this.rv);
  }

  private bucket(t: ResourceType): Map<string, KubeObject> {
    const k = typeKey(t);
    let b = this.objects.get(k);
    if (!b) {
      b = new Map();
      this.objects.set(k, b);
    }
    return b;
  }

  get(t: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.bucket(t).get(objectKey(t.namespaced ? namespace : undefined, name));
  }

  list(t: ResourceType, opts: ListOptions = {}): ListResult {
    this.expireContinues();
    if (opts.continueToken) return this.continueList(t, opts);
    const rv = this.currentResourceVersion();
    const all = [...this.bucket(t).values()]
      .filter((o) => this.matches(o, opts))
      .sort((a, b) =>
        objectKey(a.metadata.namespace, a.metadata.name ?? '').localeCompare(
          objectKey(b.metadata.namespace, b.metadata.name ?? ''),
        ),
      );
    return this.page(all, rv, opts.limit);
  }

  private page(all: readonly KubeObject[], rv: string, limit: number | undefined): ListResult {
    if (!limit || limit <= 0 || all.length <= limit) return { items: all, resourceVersion: rv };
    const token = `${rv}.${++this.continueSeq}`;
    const rest = all.slice(limit);
    this.continues.set(token, { items: rest, rv, expires: Date.now() + this.continueTtlMs });
    return {
      items: all.slice(0, limit),
      resourceVersion: rv,
      continueToken: Buffer.from(JSON.stringify({ t: token })).toString('base64url'),
      remainingItemCount: rest.length,
    };
  }

  private continueList(t: ResourceType, opts: ListOptions): ListResult {
    let token: string | undefined;
    try {
      token = (JSON.parse(Buffer.from(opts.continueToken ?? '', 'base64url').toString('utf8')) as { t?: string }).t;
    } catch {
      token = undefined;
    }
    if (!token) throw StatusError.badRequest('invalid continue token');
    const snap = this.continues.get(token);
    if (!snap) {
      throw new StatusError(
        'Expired',
        'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
      );
    }
    this.continues.delete(token);
    void t;
    return this.page(snap.items, snap.rv, opts.limit);
  }

  private expireContinues(): void {
    const now = Date.now();
    for (const [k, v] of this.continues) if (v.expires < now) this.continues.delete(k);
  }

  private matches(
    o: KubeObject,
    opts: { namespace?: string; labelSelector?: Selector; fieldSelector?: FieldRequirement[] },
  ): boolean {
    if (opts.namespace && o.metadata.namespace !== opts.namespace) return false;
    if (opts.labelSelector && !matchesLabels(opts.labelSelector, o.metadata.labels)) return false;
    if (opts.fieldSelector && !matchesFields(opts.fieldSelector, o)) return false;
    return true;
  }

  /** Stores a new object. Fails with AlreadyExists; the caller has filled in uid and timestamps. */
  create(t: ResourceType, obj: KubeObject): KubeObject {
    const key = objectKey(t.namespaced ? obj.metadata.namespace : undefined, obj.metadata.name ?? '');
    const b = this.bucket(t);
    if (b.has(key)) throw StatusError.alreadyExists(t.group, t.resource, obj.metadata.name ?? '');
    const stored = deepFreeze(withResourceVersion(obj, ++this.rv));
    b.set(key, stored);
    this.record({ rv: this.rv, type: 'ADDED', typeKey: typeKey(t), object: stored });
    return stored;
  }

  /**
   * Replaces an object. When `obj.metadata.resourceVersion` is set it must equal the stored one
   * (else 409 Conflict): that is how every writer does compare-and-set.
   */
  update(t: ResourceType, obj: KubeObject): KubeObject {
    const name = obj.metadata.name ?? '';
    const key = objectKey(t.namespaced ? obj.metadata.namespace : undefined, name);
    const b = this.bucket(t);
    const prev = b.get(key);
    if (!prev) throw StatusError.notFound(t.group, t.resource, name);
    const want = obj.metadata.resourceVersion;
    if (want && want !== prev.metadata.resourceVersion) {
      throw StatusError.conflict(
        t.group,
        t.resource,
        name,
        'the object has been modified; please apply your changes to the latest version and try again',
      );
    }
    const stored = deepFreeze(withResourceVersion(obj, ++this.rv));
    b.set(key, stored);
    this.record({ rv: this.rv, type: 'MODIFIED', typeKey: typeKey(t), object: stored, prev });
    return stored;
  }

  /** Removes an object for good (finalizers and grace are the registry's business). */
  remove(t: ResourceType, namespace: string | undefined, name: string, expectedResourceVersion?: string): KubeObject {
    const key = objectKey(t.namespaced ? namespace : undefined, name);
    const b = this.bucket(t);
    const prev = b.get(key);
    if (!prev) throw StatusError.notFound(t.group, t.resource, name);
    if (expectedResourceVersion && expectedResourceVersion !== prev.metadata.resourceVersion) {
      throw StatusError.conflict(
        t.group,
        t.resource,
        name,
        'the object has been modified; please apply your changes to the latest version and try again',
      );
    }
    b.delete(key);
    const gone = deepFreeze(withResourceVersion(prev, ++this.rv));
    this.record({ rv: this.rv, type: 'DELETED', typeKey: typeKey(t), object: gone, prev });
    return gone;
  }

  /** Forgets all history, so any watch from an older resourceVersion gets 410 (tests use it). */
  compact(): void {
    this.history.length = 0;
    this.compactedRv = this.rv;
  }

  private record(change: Change): void {
    this.history.push(change);
    if (this.history.length > this.historyLimit) {
      const dropped = this.history.splice(0, this.history.length - this.historyLimit);
      this.compactedRv = dropped[dropped.length - 1].rv;
    }
    this.queue.push(change);
    this.drain();
  }

  /** Delivers changes in commit order, even when a listener writes while being told of a change. */
  private drain(): void {
    if (this.delivering) return;
    this.delivering = true;
    try {
      for (let c = this.queue.shift(); c; c = this.queue.shift()) {
        for (const w of [...this.watchers]) if (this.watchers.has(w)) this.offer(w, c);
      }
    } finally {
      this.delivering = false;
    }
  }

  private offer(w: Watcher, c: Change): void {
    if (w.typeKey !== undefined && w.typeKey !== c.typeKey) return;
    const now = this.matches(c.object, w.opts);
    const before = c.prev !== undefined && c.type !== 'DELETED' ? this.matches(c.prev, w.opts) : false;
    let event: WatchEvent | undefined;
    if (c.type === 'ADDED') event = now ? { type: 'ADDED', object: c.object } : undefined;
    else if (c.type === 'DELETED')
      event = this.matches(c.object, w.opts) ? { type: 'DELETED', object: c.object } : undefined;
    else if (now && before) event = { type: 'MODIFIED', object: c.object };
    else if (now) event = { type: 'ADDED', object: c.object };
    else if (before && c.prev) event = { type: 'DELETED', object: deepFreeze(withResourceVersion(c.prev, c.rv)) };
    if (!event) return;
    try {
      w.listener(event);
    } catch {
      // A broken listener must not stop the others from hearing about the change.
    }
  }

  /**
   * Starts a watch. Events arrive in commit order through `listener`, the initial ones (or the replay
   * from `resourceVersion`) before this returns. Throws 410 Expired when the history no longer reaches
   * back to `resourceVersion`.
   */
  watch(t: ResourceType | undefined, opts: WatchOptions, listener: WatchListener): StoreWatch {
    const watcher: Watcher = { typeKey: t ? typeKey(t) : undefined, opts, listener };
    const from = opts.resourceVersion;
    if (from === undefined || from === '' || from === '0') {
      if (t) for (const o of this.list(t, { ...opts, limit: undefined }).items) listener({ type: 'ADDED', object: o });
    } else {
      const n = Number(from);
      if (!Number.isInteger(n) || n < 0) throw StatusError.badRequest(`invalid resource version "${from}"`);
      if (n < this.compactedRv) {
        throw new StatusError('Expired', `too old resource version: ${n} (${this.compactedRv + 1})`);
      }
      for (const c of this.history) if (c.rv > n) this.offer(watcher, c);
    }
    this.watchers.add(watcher);
    return { stop: () => void this.watchers.delete(watcher) };
  }

  /** How many watches are open (for the sandbox's status and tests). */
  watchCount(): number {
    return this.watchers.size;
  }

  /** Every stored object of every type, for debugging and the garbage collector's first pass. */
  *allObjects(): Generator<{ typeKey: string; object: KubeObject }> {
    for (const [k, b] of this.objects) for (const o of b.values()) yield { typeKey: k, object: o };
  }
}
