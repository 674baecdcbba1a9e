/**
 * Each rollout's events in a bounded Redis stream: what the CLI, Server-Sent Events and dashboards
 * read. Stream ids are the resume tokens (an SSE `Last-Event-ID`): read and follow start after one.
 * Follows share one blocking connection (streamWaker.ts), however many there are.
 */
import { ClosedError, CorruptEventError, InvalidOptionError, InvalidRecordError } from '../errors';
import type { Redis } from 'ioredis';
import { eventSchema, type RolloutEvent } from './record';
import { resolvePrefix, type RedisContext } from './redisConnection';
import { StreamWaker } from './streamWaker';

export interface RolloutEventsOptions extends RedisContext {
  /** Entries kept per rollout, approximately (MAXLEN ~: Redis trims whole stream nodes). Default 1000. */
  maxLen?: number;
  /** How long a follow waits for a new entry before it reads again anyway (ms). Default 5000. */
  blockMs?: number;
}

/** One stored event and its stream id. */
export interface StoredEvent {
  id: string;
  event: RolloutEvent;
}

export type EventsState = 'open' | 'closing' | 'closed';

/** The stream id that comes before every entry: read or follow from the beginning. */
export const STREAM_START = '0-0';
/** For `follow`: only events appended from now on. */
export const LATEST = '$';

/** The stream entry field holding an event's JSON (the store appends with it too). */
export const EVENT_FIELD = 'e';
const FIELD = EVENT_FIELD;
/** Events kept per rollout (approximately: trimming is by stream node). */
export const DEFAULT_EVENTS_MAX_LEN = 1000;

/** The key of a rollout's event stream under a prefix. */
export function eventsKey(prefix: string, rolloutId: string): string {
  return `${prefix}:events:${rolloutId}`;
}

/** Appends, reads and follows rollout event streams. Every `follow` shares one extra connection. */
export class RolloutEvents {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly maxLen: number;
  private readonly blockMs: number;
  private readonly followers = new Set<{ stop: () => void; done: Promise<void> }>();
  private readonly waker: StreamWaker;
  private closing: Promise<void> | undefined;
  private currentState: EventsState = 'open';

  constructor(options: RolloutEventsOptions) {
    this.redis = options.connection;
    this.prefix = resolvePrefix(options.prefix);
    this.maxLen = positiveInteger('maxLen', options.maxLen ?? DEFAULT_EVENTS_MAX_LEN);
    this.blockMs = positiveInteger('blockMs', options.blockMs ?? 5000);
    this.waker = new StreamWaker({ connect: () => this.redis.duplicate(), command: this.redis, blockMs: this.blockMs });
  }

  /** Follows waiting for a new entry now, by stream (for metrics and tests). */
  get waitingStreams(): number {
    return this.waker.size;
  }

  get state(): EventsState {
    return this.currentState;
  }

  /** Validates and appends an event; returns its stream id. Trims the stream to about maxLen entries. */
  async append(rolloutId: string, event: RolloutEvent): Promise<string> {
    const parsed = eventSchema.safeParse(event);
    if (!parsed.success)
      throw new InvalidRecordError(
        rolloutId,
        parsed.error.issues.map((i) => `event.${i.path.join('.')}: ${i.message}`),
        { cause: parsed.error },
      );
    const id = await this.redis.xadd(
      eventsKey(this.prefix, rolloutId),
      'MAXLEN',
      '~',
      this.maxLen,
      '*',
      FIELD,
      JSON.stringify(parsed.data),
    );
    return id as string;
  }

  /** Events after the stream id `after` (exclusive; default: from the start), oldest first, at most `count`. */
  async read(rolloutId: string, options: { after?: string; count?: number } = {}): Promise<StoredEvent[]> {
    const start =
      options.after === undefined || options.after === STREAM_START ? '-' : `(${streamId('after', options.after)}`;
    const key = eventsKey(this.prefix, rolloutId);
    const entries =
      options.count === undefined
        ? await this.redis.xrange(key, start, '+')
        : await this.redis.xrange(key, start, '+', 'COUNT', positiveInteger('count', options.count));
    return entries.map(([id, fields]) => decodeEntry(rolloutId, id, fields));
  }

  /** The stream's length now (trimming is approximate, so it may exceed maxLen a little). */
  async length(rolloutId: string): Promise<number> {
    return this.redis.xlen(eventsKey(this.prefix, rolloutId));
  }

  /**
   * Calls `onEvent` (awaited, in order) for every event after `after` — those already stored, then
   * new ones as they are appended — until `signal` aborts or the events object closes; then resolves.
   * `after` is a stream id, STREAM_START or LATEST. Rejects when `onEvent` throws or an entry is corrupt.
   */
  async follow(
    rolloutId: string,
    after: string,
    onEvent: (e: StoredEvent) => void | Promise<void>,
    signal: AbortSignal,
  ): Promise<void> {
    if (this.currentState !== 'open') throw new ClosedError('RolloutEvents');
    const start = after === LATEST ? await this.lastId(rolloutId) : streamId('after', after);
    // close() may have begun while we looked up the latest id; it would not know to stop us.
    if (this.currentState !== 'open') throw new ClosedError('RolloutEvents');
    if (signal.aborted) return;
    const stop = new AbortController();
    const abort = (): void => stop.abort();
    signal.addEventListener('abort', abort, { once: true });
    const follower = { stop: abort, done: this.followLoop(rolloutId, start, onEvent, stop.signal) };
    this.followers.add(follower);
    try {
      await follower.done;
    } finally {
      signal.removeEventListener('abort', abort);
      this.followers.delete(follower);
    }
  }

  private async lastId(rolloutId: string): Promise<string> {
    const last = await this.redis.xrevrange(eventsKey(this.prefix, rolloutId), '+', '-', 'COUNT', 1);
    return last[0]?.[0] ?? STREAM_START;
  }

  /** Stops every follow in progress and waits for them; the connection given is the caller's to close. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.currentState = 'closing';
      const running = [...this.followers];
      for (const f of running) f.stop();
      await Promise.allSettled(running.map((f) => f.done));
      await this.waker.close();
      this.currentState = 'closed';
    })();
    return this.closing;
  }

  /** Reads what is after the cursor, delivers it, and waits (shared) for more, until `signal` aborts. */
  private async followLoop(
    rolloutId: string,
    after: string,
    onEvent: (e: StoredEvent) => void | Promise<void>,
    signal: AbortSignal,
  ): Promise<void> {
    const key = eventsKey(this.prefix, rolloutId);
    let cursor = after;
    while (!signal.aborted) {
      let entries: StoredEvent[];
      try {
        entries = await this.read(rolloutId, { after: cursor, count: FOLLOW_BATCH });
      } catch (err) {
        if (signal.aborted) return;
        throw err;
      }
      for (const e of entries) {
        if (signal.aborted) return;
        await onEvent(e);
        cursor = e.id;
      }
      if (entries.length < FOLLOW_BATCH) await this.waker.wait(key, cursor, signal, this.blockMs);
    }
  }
}

/** Entries a follow reads at a time. */
const FOLLOW_BATCH = 100;

function decodeEntry(rolloutId: string, id: string, fields: string[]): StoredEvent {
  const at = fields.indexOf(FIELD);
  const json = at >= 0 && at % 2 === 0 ? fields[at + 1] : undefined;
  if (json === undefined) throw new CorruptEventError(rolloutId, id, `no "${FIELD}" field`);
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new CorruptEventError(rolloutId, id, 'not JSON', { cause: err });
  }
  const parsed = eventSchema.safeParse(raw);
  if (!parsed.success)
    throw new CorruptEventError(
      rolloutId,
      id,
      parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
      { cause: parsed.error },
    );
  return { id, event: parsed.data };
}

/** A stream id as Redis writes them (`ms-seq`, or `ms`), else InvalidOptionError naming the option. */
function streamId(option: string, value: string): string {
  if (!/^\d+(-\d+)?$/.test(value))
    throw new InvalidOptionError(option, `expected a stream id like 1700000000000-0, got "${value}"`);
  return value;
}

function positiveInteger(option: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new InvalidOptionError(option, `expected a positive integer, got ${value}`);
  return value;
}
