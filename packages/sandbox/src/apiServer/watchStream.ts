/**
 * A watch as Kubernetes streams it: one JSON event per line over a chunked response; bookmarks when
 * asked; an ERROR event with a 410 Status when the resourceVersion is too old (then the stream ends,
 * which is what makes clients relist); the stream ends cleanly at `timeoutSeconds`.
 */
import type { ServerResponse } from 'node:http';
import type { Registry } from './registry';
import { apiVersionOf } from './resources';
import type { ResourceRequest } from './requestInfo';
import { listOptions } from './handlers';
import { StatusError } from './statusError';
import { toTable, wantsTable } from './tables';
import type { KubeObject, WatchEvent } from './types';

export interface WatchStreamOptions {
  bookmarkIntervalMs: number;
  /** Upper bound on a watch's life when the client gives no timeoutSeconds. */
  defaultTimeoutMs: number;
}

/** Starts streaming; returns a function that ends the stream (used by the dropWatch fault). */
export function streamWatch(
  registry: Registry,
  req: ResourceRequest,
  query: URLSearchParams,
  accept: string | undefined,
  res: ServerResponse,
  opts: WatchStreamOptions,
): () => void {
  const { type, namespace, name } = req;
  const lo = listOptions(type, query, namespace);
  if (name) lo.fieldSelector = [...lo.fieldSelector, { field: 'metadata.name', value: name, negate: false }];
  const asTable = wantsTable(accept);
  let ended = false;
  let sentColumns = false;

  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  res.flushHeaders();

  const write = (e: WatchEvent | { type: 'ERROR'; object: unknown }): void => {
    if (ended) return;
    let object: unknown = e.object;
    if (asTable && (e.type === 'ADDED' || e.type === 'MODIFIED' || e.type === 'DELETED')) {
      const table = toTable(
        type.kind,
        [e.object as KubeObject],
        { resourceVersion: (e.object as KubeObject).metadata.resourceVersion },
        { includeObject: 'Metadata' },
      );
      // Like the API server: column definitions once, on the first event.
      if (sentColumns) table.columnDefinitions = [];
      sentColumns = true;
      object = table;
    }
    res.write(JSON.stringify({ type: e.type, object }) + '\n');
  };

  let watch: { stop(): void } | undefined;
  const timers: NodeJS.Timeout[] = [];
  const end = (): void => {
    if (ended) return;
    ended = true;
    watch?.stop();
    for (const t of timers) clearTimeout(t); // clearTimeout also clears intervals
    res.end();
  };
  res.on('close', end);

  try {
    watch = registry.watch(type, { ...lo, resourceVersion: query.get('resourceVersion') ?? undefined }, write);
  } catch (e) {
    if (e instanceof StatusError) {
      write({ type: 'ERROR', object: e.toStatus() });
      end();
      return end;
    }
    throw e;
  }

  if (query.get('allowWatchBookmarks') === 'true') {
    const apiVersion = apiVersionOf(type);
    timers.push(
      setInterval(() => {
        write({
          type: 'BOOKMARK',
          object: {
            kind: type.kind,
            apiVersion,
            metadata: { resourceVersion: registry.store.currentResourceVersion() },
          } as KubeObject,
        });
      }, opts.bookmarkIntervalMs),
    );
  }
  const timeoutSeconds = Number(query.get('timeoutSeconds'));
  const timeoutMs =
    Number.isFinite(timeoutSeconds) && timeoutSeconds > 0 ? timeoutSeconds * 1000 : opts.defaultTimeoutMs;
  timers.push(setTimeout(end, timeoutMs));
  return end;
}
