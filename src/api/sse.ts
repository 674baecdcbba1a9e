/**
 * Server-Sent Events on an express response: `id:`/`event:`/`data:` frames, a comment keep-alive so
 * proxies keep the connection open, back-pressure (a slow client slows the reader, not our memory),
 * and one signal that fires when the client goes away or the server shuts the stream.
 */
import { TooManyRequestsError } from '../errors';
import type { Response } from 'express';

/** Default keep-alive interval: a comment line every 15 s. */
export const DEFAULT_KEEP_ALIVE_MS = 15_000;

export type SseState = 'open' | 'closed';

/** One event stream to one client. */
export class SseStream {
  private readonly controller = new AbortController();
  private readonly keepAlive: NodeJS.Timeout;
  private stateValue: SseState = 'open';

  constructor(
    private readonly res: Response,
    keepAliveMs = DEFAULT_KEEP_ALIVE_MS,
  ) {
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    // nginx and friends buffer responses unless told not to; an event stream must not wait.
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    res.once('close', () => this.close());
    this.keepAlive = setInterval(() => this.write(': keep-alive\n\n'), keepAliveMs);
    this.keepAlive.unref();
  }

  get state(): SseState {
    return this.stateValue;
  }

  /** Aborts when the client disconnects or the stream is closed. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Sends one event; resolves once the socket can take more (back-pressure). */
  async send(event: string, data: unknown, id?: string): Promise<void> {
    const frame = `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    if (this.write(frame)) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.res.off('drain', done);
        this.signal.removeEventListener('abort', done);
        resolve();
      };
      this.res.on('drain', done);
      this.signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Ends the response (after the last event) and releases the timer; safe to call twice. */
  close(): void {
    if (this.stateValue === 'closed') return;
    this.stateValue = 'closed';
    clearInterval(this.keepAlive);
    this.controller.abort();
    if (!this.res.writableEnded) this.res.end();
  }

  private write(text: string): boolean {
    if (this.stateValue === 'closed' || this.res.writableEnded) return true;
    return this.res.write(text);
  }
}

/** How many event streams may be open at once: per token (its principal), and on the whole server. */
export interface StreamLimits {
  /** Default 100. */
  perToken?: number;
  /** Default 5000. */
  total?: number;
  /** What a refused client is told to wait (Retry-After, seconds). Default 5. */
  retryAfterSeconds?: number;
}

/**
 * The streams open on a server, so shutting down can end them instead of waiting for clients, and so a
 * token cannot hold more than its share: each stream costs the server a socket and a place in the
 * shared Redis read (events.ts), and one caller must not take them all.
 */
export class SseRegistry {
  private readonly streams = new Set<SseStream>();
  private readonly byOwner = new Map<object, number>();
  private readonly perToken: number;
  private readonly total: number;
  private readonly retryAfter: number;

  constructor(limits: StreamLimits = {}) {
    this.perToken = limits.perToken ?? 100;
    this.total = limits.total ?? 5000;
    this.retryAfter = limits.retryAfterSeconds ?? 5;
  }

  get size(): number {
    return this.streams.size;
  }

  /** Streams `owner` holds now. */
  heldBy(owner: object): number {
    return this.byOwner.get(owner) ?? 0;
  }

  /** TooManyRequestsError when `owner` (or the server) holds as many streams as it may; call right before `track`. */
  admit(owner: object): void {
    if (this.heldBy(owner) >= this.perToken)
      throw new TooManyRequestsError('event streams for this token', this.perToken, this.retryAfter);
    if (this.streams.size >= this.total)
      throw new TooManyRequestsError('event streams on this server', this.total, this.retryAfter);
  }

  /** Tracks a stream (of `owner`) until it closes. */
  track(stream: SseStream, owner: object = this): void {
    this.streams.add(stream);
    this.byOwner.set(owner, this.heldBy(owner) + 1);
    stream.signal.addEventListener(
      'abort',
      () => {
        this.streams.delete(stream);
        const left = this.heldBy(owner) - 1;
        if (left > 0) this.byOwner.set(owner, left);
        else this.byOwner.delete(owner);
      },
      { once: true },
    );
  }

  /** Closes every open stream (their clients see the connection end and reconnect elsewhere). */
  closeAll(): void {
    for (const s of [...this.streams]) s.close();
  }
}
