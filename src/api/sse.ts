/**
 * Server-Sent Events on an express response: `id:`/`event:`/`data:` frames, a comment keep-alive so
 * proxies keep the connection open, back-pressure (a slow client slows the reader, not our memory),
 * and one signal that fires when the client goes away or the server shuts the stream.
 */
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

/** The streams open on a server, so shutting down can end them instead of waiting for clients. */
export class SseRegistry {
  private readonly streams = new Set<SseStream>();

  get size(): number {
    return this.streams.size;
  }

  /** Tracks a stream until it closes. */
  track(stream: SseStream): void {
    this.streams.add(stream);
    stream.signal.addEventListener('abort', () => this.streams.delete(stream), { once: true });
  }

  /** Closes every open stream (their clients see the connection end and reconnect elsewhere). */
  closeAll(): void {
    for (const s of [...this.streams]) s.close();
  }
}
