/**
 * An informer's list-and-watch over HTTP, as client-go's reflector does it: list, deliver the objects as
 * ADDED, watch from the list's resourceVersion with bookmarks; when the stream ends, watch again from the
 * last version seen; on 410 Gone (or an error after which the version may be stale) list again and
 * deliver the difference, so listeners see every object's latest state exactly once per change.
 */
import type { IncomingMessage } from 'node:http';
import { StatusError } from '../apiServer/statusError';
import type { KubeObject } from '../apiServer/types';
import type { ApiResource, ClusterEvent, ClusterListOptions, ClusterWatch } from './clusterApi';
import { resourcePath, type HttpCluster } from './httpCluster';

/** Server-side watch timeout: the stream ends and is reopened from the last version, as client-go does. */
const WATCH_SECONDS = 240;
const RETRY_MIN_MS = 200;
const RETRY_MAX_MS = 5000;

function keyOf(o: KubeObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
}

export class HttpWatch implements ClusterWatch {
  readonly synced: Promise<void>;
  private readonly known = new Map<string, KubeObject>();
  private resourceVersion = '';
  private stopped = false;
  private response: IncomingMessage | undefined;
  private retryMs = RETRY_MIN_MS;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly cluster: HttpCluster,
    private readonly r: ApiResource,
    private readonly opts: ClusterListOptions,
    private readonly listener: (e: ClusterEvent) => void,
  ) {
    this.synced = this.relist();
    this.synced.then(
      () => this.openWatch(),
      () => undefined,
    );
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.response?.destroy();
  }

  private emit(e: ClusterEvent): void {
    if (!this.stopped) this.listener(e);
  }

  /** Lists and delivers what changed since the objects known. */
  private async relist(): Promise<void> {
    const { items, resourceVersion } = await this.cluster.listWithVersion(this.r, this.opts);
    if (this.stopped) return;
    const seen = new Set<string>();
    for (const o of items) {
      const k = keyOf(o);
      seen.add(k);
      const before = this.known.get(k);
      this.known.set(k, o);
      if (!before) this.emit({ type: 'ADDED', object: o });
      else if (before.metadata.resourceVersion !== o.metadata.resourceVersion)
        this.emit({ type: 'MODIFIED', object: o });
    }
    for (const [k, o] of [...this.known]) {
      if (seen.has(k)) continue;
      this.known.delete(k);
      this.emit({ type: 'DELETED', object: o });
    }
    this.resourceVersion = resourceVersion;
  }

  private later(fn: () => void): void {
    if (this.stopped) return;
    this.timer = setTimeout(fn, this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }

  private openWatch(): void {
    if (this.stopped) return;
    const path =
      resourcePath(this.r, this.opts.namespace) +
      '?' +
      new URLSearchParams({
        watch: '1',
        allowWatchBookmarks: 'true',
        resourceVersion: this.resourceVersion,
        timeoutSeconds: String(WATCH_SECONDS),
        ...(this.opts.labelSelector ? { labelSelector: this.opts.labelSelector } : {}),
        ...(this.opts.fieldSelector ? { fieldSelector: this.opts.fieldSelector } : {}),
      }).toString();
    this.cluster.stream(path).then(
      (res) => this.consume(res),
      () => this.later(() => this.openWatch()),
    );
  }

  private consume(res: IncomingMessage): void {
    if (this.stopped) {
      res.destroy();
      return;
    }
    if ((res.statusCode ?? 0) !== 200) {
      res.resume();
      // 410: our version is too old to watch from; anything else may mean the same after a restart.
      this.later(() => this.recover());
      return;
    }
    this.response = res;
    let buffer = '';
    let gone = false;
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (line && this.handle(line) === 'gone') gone = true;
      }
      if (gone) res.destroy();
    });
    const ended = (): void => {
      if (this.response !== res) return;
      this.response = undefined;
      if (this.stopped) return;
      if (gone) this.recover();
      else this.openWatch();
    };
    res.on('end', ended);
    res.on('close', ended);
    res.on('error', () => undefined);
  }

  /** Applies one watch event line; 'gone' when the server says our version expired. */
  private handle(line: string): 'ok' | 'gone' {
    let ev: { type: string; object: KubeObject & { code?: number } };
    try {
      ev = JSON.parse(line) as typeof ev;
    } catch {
      return 'gone';
    }
    this.retryMs = RETRY_MIN_MS;
    if (ev.type === 'ERROR') return 'gone';
    const o = ev.object;
    if (o.metadata?.resourceVersion) this.resourceVersion = o.metadata.resourceVersion;
    if (ev.type === 'BOOKMARK') return 'ok';
    const apiVersion = this.r.group ? `${this.r.group}/${this.r.version}` : this.r.version;
    const object: KubeObject = { ...o, apiVersion: o.apiVersion ?? apiVersion, kind: o.kind ?? this.r.kind };
    const k = keyOf(object);
    if (ev.type === 'DELETED') this.known.delete(k);
    else if (ev.type === 'ADDED' || ev.type === 'MODIFIED') this.known.set(k, object);
    else return 'ok';
    this.emit({ type: ev.type, object });
    return 'ok';
  }

  private recover(): void {
    if (this.stopped) return;
    this.relist().then(
      () => this.openWatch(),
      (e: unknown) => {
        if (e instanceof StatusError && e.reason === 'Forbidden') return; // nothing will change that
        this.later(() => this.recover());
      },
    );
  }
}
