/**
 * Many event-stream followers over one Redis connection. A follower that has read everything up to
 * its cursor waits here; one blocking `XREAD` on every stream someone waits on (with the newest id seen
 * per stream) wakes the followers of the streams that grew, and each reads its own entries again with
 * a plain XRANGE on the shared command connection. So an API server holds two Redis connections however
 * many event streams it serves, where it held one per stream; a follower never misses an entry, since
 * it reads from its own cursor and waits at most `timeoutMs` before reading again anyway.
 *
 * A wait on a stream the blocking read does not cover yet interrupts it (CLIENT UNBLOCK) so the next
 * read includes it; should that fail, the read ends by itself within `blockMs`.
 */
import type { Redis } from 'ioredis';

export type StreamWakerState = 'open' | 'closing' | 'closed';

interface Watched {
  /** The newest entry id seen on the stream (a wait after an older id returns at once). */
  cursor: string;
  waiters: Set<() => void>;
}

export interface StreamWakerOptions {
  /** A new connection for the blocking reads (the waker owns and closes it). */
  connect: () => Redis;
  /** The shared connection, for CLIENT UNBLOCK. */
  command: Redis;
  /** How long one blocking read waits before it is issued again (ms). Default 5000. */
  blockMs?: number;
}

/** `a < b` for stream ids `ms-seq` (or `ms`). */
export function streamIdBefore(a: string, b: string): boolean {
  const [am, as = '0'] = a.split('-');
  const [bm, bs = '0'] = b.split('-');
  const ams = BigInt(am);
  const bms = BigInt(bm);
  return ams < bms || (ams === bms && BigInt(as) < BigInt(bs));
}

export class StreamWaker {
  private readonly watched = new Map<string, Watched>();
  private readonly blockMs: number;
  private conn?: Redis;
  private clientId?: number;
  private loop?: Promise<void>;
  private idle?: () => void;
  private unblockQueued = false;
  private stateValue: StreamWakerState = 'open';
  private closing?: Promise<void>;

  constructor(private readonly opts: StreamWakerOptions) {
    this.blockMs = opts.blockMs ?? 5000;
  }

  get state(): StreamWakerState {
    return this.stateValue;
  }

  /** Streams waited on now. */
  get size(): number {
    return this.watched.size;
  }

  /**
   * Resolves when `key` may have an entry after `cursor`, after `timeoutMs`, or when `signal` aborts or
   * the waker closes — whichever comes first. Never rejects: the caller reads again either way.
   */
  wait(key: string, cursor: string, signal: AbortSignal, timeoutMs: number): Promise<void> {
    if (this.stateValue !== 'open' || signal.aborted) return Promise.resolve();
    let w = this.watched.get(key);
    if (w && streamIdBefore(cursor, w.cursor)) return Promise.resolve();
    if (!w) {
      w = { cursor, waiters: new Set() };
      this.watched.set(key, w);
      this.startOrInterrupt();
    }
    const watched = w;
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        watched.waiters.delete(done);
        if (watched.waiters.size === 0 && this.watched.get(key) === watched) this.watched.delete(key);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal.addEventListener('abort', done, { once: true });
      watched.waiters.add(done);
    });
  }

  private startOrInterrupt(): void {
    if (this.idle) {
      const wake = this.idle;
      this.idle = undefined;
      wake();
    }
    if (!this.loop) {
      this.loop = this.run().finally(() => (this.loop = undefined));
      return;
    }
    if (this.unblockQueued || this.clientId === undefined) return;
    this.unblockQueued = true;
    // One interruption for all the waits that arrive in the same tick.
    setImmediate(() => {
      this.unblockQueued = false;
      if (this.clientId !== undefined && this.stateValue === 'open')
        this.opts.command.client('UNBLOCK', this.clientId).catch(() => undefined);
    });
  }

  private connection(): Redis {
    if (this.conn) return this.conn;
    const conn = this.opts.connect();
    // Failures reach the loop as rejected reads; without a listener ioredis would also print each one.
    conn.on('error', () => undefined);
    conn.on('ready', () => {
      this.clientId = undefined;
      void conn.client('ID').then(
        (id) => (this.clientId = Number(id)),
        () => undefined,
      );
    });
    this.conn = conn;
    return conn;
  }

  private async run(): Promise<void> {
    while (this.stateValue === 'open') {
      if (this.watched.size === 0) {
        await new Promise<void>((resolve) => (this.idle = resolve));
        continue;
      }
      const keys = [...this.watched.keys()];
      const cursors = keys.map((k) => (this.watched.get(k) as Watched).cursor);
      let reply: [string, [string, string[]][]][] | null;
      try {
        reply = await this.connection().xread('COUNT', 100, 'BLOCK', this.blockMs, 'STREAMS', ...keys, ...cursors);
      } catch {
        if (this.stateValue !== 'open') return;
        // Redis away: waiters read again after their own timeouts; look again shortly.
        await new Promise((r) => setTimeout(r, 250));
        continue;
      }
      for (const [key, entries] of reply ?? []) {
        const w = this.watched.get(key);
        const last = entries[entries.length - 1]?.[0];
        if (!w || last === undefined) continue;
        w.cursor = last;
        for (const wake of [...w.waiters]) wake();
      }
    }
  }

  /** Wakes every waiter, ends the blocking read and its connection. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.stateValue = 'closing';
      for (const w of [...this.watched.values()]) for (const wake of [...w.waiters]) wake();
      this.watched.clear();
      this.idle?.();
      this.conn?.disconnect();
      await this.loop;
      this.stateValue = 'closed';
    })();
    return this.closing;
  }
}
