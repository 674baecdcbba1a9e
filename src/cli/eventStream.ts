/**
 * Follows a rollout's Server-Sent Events until its `end`, surviving dropped connections: after a drop
 * it reconnects with back-off and `Last-Event-ID`, and never hands out an event id it already gave, so a
 * restarted API server neither loses nor repeats events.
 */
import { ApiRequestError, ApiUnreachableError, InvalidApiResponseError } from '../errors';
import type { z } from 'zod';
import { errorBodySchema, eventViewSchema, rolloutViewSchema, type EventView, type RolloutView } from '../api/schemas';
import { errorFromResponse, fetchFailure, type Fetch } from './http';
import { SseParser, type SseMessage } from './sse';

/** What following yields: each event once, reconnect notices, and the final view. */
export type FollowItem =
  | { type: 'event'; event: EventView }
  | { type: 'reconnecting'; attempt: number; delayMs: number; reason: string }
  | { type: 'end'; rollout: RolloutView };

/** Which rollout to follow, from where, until when. */
export interface FollowOptions {
  /** Follow this rollout id rather than the app's latest. */
  rollout?: string;
  /** Start after this stream id (exclusive). Default: from the first event. */
  lastEventId?: string;
  signal?: AbortSignal;
}

/** The server to follow events on, and how patient to be with it. */
export interface StreamTarget {
  server: string;
  token: string;
  fetch?: Fetch;
  /** No byte (not even a keep-alive comment) for this long means the connection is dead. Default 45 s. */
  idleTimeoutMs?: number;
  /** Back-off between reconnects: first delay and cap (ms). Default 250 → 5000. */
  backoff?: { initialMs: number; maxMs: number };
  /** Give up (ApiUnreachableError) after the server has been unreachable this long without a break. Default 5 min. */
  maxDownMs?: number;
}

/** A stream that closed without `end`: the server went away mid-rollout. */
class StreamDropped extends Error {}

/** Yields every event after `lastEventId` once, in order, then `end` with the final view. */
export async function* followEvents(
  target: StreamTarget,
  ns: string,
  name: string,
  opts: FollowOptions = {},
): AsyncGenerator<FollowItem, void, undefined> {
  const backoff = target.backoff ?? { initialMs: 250, maxMs: 5000 };
  const maxDownMs = target.maxDownMs ?? 300_000;
  let last = opts.lastEventId;
  let attempt = 0;
  let downSince: number | undefined;
  for (;;) {
    try {
      // Only data (an event or a keep-alive) proves the server is back: one that accepts and hangs up at
      // once must not reset the back-off or the give-up clock.
      for await (const msg of connect(target, ns, name, opts, last, () => ((attempt = 0), (downSince = undefined)))) {
        const item = decode(msg, last);
        if (!item) continue;
        if (item.type === 'event') last = item.event.id;
        yield item;
        if (item.type === 'end') return;
      }
      throw new StreamDropped('the event stream closed before the rollout ended');
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? err;
      if (!retryable(err)) throw err;
      downSince ??= Date.now();
      if (Date.now() - downSince > maxDownMs) {
        throw err instanceof ApiUnreachableError
          ? err
          : new ApiUnreachableError(
              target.server,
              `gave up reconnecting after ${Math.round(maxDownMs / 1000)}s: ${reasonOf(err)}`,
              { cause: err },
            );
      }
      attempt += 1;
      const delayMs = Math.min(backoff.maxMs, backoff.initialMs * 2 ** (attempt - 1));
      yield { type: 'reconnecting', attempt, delayMs, reason: reasonOf(err) };
      await sleep(delayMs, opts.signal);
    }
  }
}

/** Stream ids are `ms-seq`; compares them as numbers (string order breaks at a new digit). */
export function compareStreamIds(a: string, b: string): number {
  const [am, as = '0'] = a.split('-');
  const [bm, bs = '0'] = b.split('-');
  const d = BigInt(am) - BigInt(bm);
  if (d !== 0n) return d < 0n ? -1 : 1;
  const s = BigInt(as) - BigInt(bs);
  return s === 0n ? 0 : s < 0n ? -1 : 1;
}

function decode(msg: SseMessage, last: string | undefined): FollowItem | undefined {
  if (msg.event === 'rollout') {
    const event = parseData(msg, eventViewSchema, 'event');
    // A resumed server might start at or before the id we asked to follow; each event is shown once.
    if (last !== undefined && isStreamId(last) && isStreamId(event.id) && compareStreamIds(event.id, last) <= 0)
      return undefined;
    return { type: 'event', event };
  }
  if (msg.event === 'end') return { type: 'end', rollout: parseData(msg, rolloutViewSchema, 'end') };
  if (msg.event === 'error') {
    const body = parseData(msg, errorBodySchema, 'error');
    // The rollout is gone (Redis lost its data): no reconnect will bring it back.
    if (GONE.has(body.error.code))
      throw new ApiRequestError(404, body.error.code, `the rollout is gone: ${body.error.message}`, body.error.details);
    // The server failed mid-stream (Redis gone, say) and closes it next: worth reconnecting, like a 5xx.
    throw new ApiRequestError(
      500,
      body.error.code,
      `the event stream failed: ${body.error.message}`,
      body.error.details,
    );
  }
  return undefined;
}

/** Error codes that mean the rollout no longer exists. */
const GONE = new Set(['ROLLOUT_NOT_FOUND']);

function parseData<S extends z.ZodType>(msg: SseMessage, schema: S, what: string): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(msg.data);
  } catch (err) {
    throw new InvalidApiResponseError(`the ${what} event stream`, [`data is not JSON: ${msg.data.slice(0, 100)}`], {
      cause: err,
    });
  }
  const r = schema.safeParse(json);
  if (!r.success)
    throw new InvalidApiResponseError(
      `the ${what} event stream`,
      r.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`),
    );
  return r.data;
}

/** One connection: the parsed messages until the server closes it; throws on errors, idle and aborts. */
async function* connect(
  target: StreamTarget,
  ns: string,
  name: string,
  opts: FollowOptions,
  last: string | undefined,
  onData: () => void,
): AsyncGenerator<SseMessage> {
  const idleMs = target.idleTimeoutMs ?? 45_000;
  const url = `${target.server}/api/v1/namespaces/${encodeURIComponent(ns)}/rollouts/${encodeURIComponent(name)}/events${opts.rollout ? `?rollout=${encodeURIComponent(opts.rollout)}` : ''}`;
  const request = `GET ${url}`;
  const conn = new AbortController();
  const onAbort = (): void => conn.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let idle: NodeJS.Timeout | undefined;
  const touch = (): void => {
    clearTimeout(idle);
    idle = setTimeout(
      () =>
        conn.abort(
          new ApiUnreachableError(target.server, `no data on the event stream for ${Math.round(idleMs / 1000)}s`),
        ),
      idleMs,
    );
  };
  try {
    touch();
    const headers: Record<string, string> = { authorization: `Bearer ${target.token}`, accept: 'text/event-stream' };
    if (last !== undefined) headers['last-event-id'] = last;
    let res: Response;
    try {
      res = await (target.fetch ?? fetch)(url, { headers, signal: conn.signal });
    } catch (err) {
      throw conn.signal.aborted && !opts.signal?.aborted
        ? conn.signal.reason
        : fetchFailure(err, target.server, opts.signal, idleMs);
    }
    if (!res.ok) throw await errorFromResponse(res, request);
    if (!res.body) throw new StreamDropped('the event stream has no body');
    const parser = new SseParser();
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body) {
        touch();
        onData();
        yield* parser.push(decoder.decode(chunk as Uint8Array, { stream: true }));
      }
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? err;
      throw conn.signal.aborted ? conn.signal.reason : new StreamDropped(`the event stream broke: ${reasonOf(err)}`);
    }
  } finally {
    clearTimeout(idle);
    opts.signal?.removeEventListener('abort', onAbort);
    // Leaving early (end seen, caller stopped): close the connection rather than leave it to the server.
    conn.abort();
  }
}

function retryable(err: unknown): boolean {
  if (err instanceof StreamDropped || err instanceof ApiUnreachableError) return true;
  return err instanceof ApiRequestError && err.retryable;
}

function reasonOf(err: unknown): string {
  if (err instanceof ApiUnreachableError) return err.reason;
  return err instanceof Error ? err.message.split('\n')[0] : String(err);
}

function isStreamId(v: string): boolean {
  return /^\d+(-\d+)?$/.test(v);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
