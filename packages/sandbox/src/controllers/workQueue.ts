/**
 * A keyed work queue as client-go's: a key waiting to be processed is held once however often it is
 * added; a key added while being processed is processed again afterwards (never two at once); a
 * handler that throws gets its key back after an exponential back-off; `addAfter` delays a key.
 */

export type WorkQueueState = 'running' | 'closed';

export interface WorkQueueOptions {
  /** Processes one key. Throwing re-queues the key with back-off; returning forgets its failures. */
  handler: (key: string) => void;
  /** First retry delay after a failure (doubles per consecutive failure). Default 5 ms. */
  baseDelayMs?: number;
  /** Longest retry delay. Default 2 s: the sandbox prefers repairing quickly to sparing an API server. */
  maxDelayMs?: number;
  /** Keys processed per turn of the event loop before yielding to I/O. Default 100. */
  batchSize?: number;
  /** Told of every failure (for logs); never allowed to throw into the queue. */
  onError?: (key: string, err: unknown, attempt: number) => void;
}

export class WorkQueue {
  private readonly pending: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private scheduled: NodeJS.Immediate | undefined;
  private stateValue: WorkQueueState = 'running';
  private processedCount = 0;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly batchSize: number;

  constructor(private readonly opts: WorkQueueOptions) {
    this.baseDelayMs = opts.baseDelayMs ?? 5;
    this.maxDelayMs = opts.maxDelayMs ?? 2000;
    this.batchSize = opts.batchSize ?? 100;
  }

  get state(): WorkQueueState {
    return this.stateValue;
  }

  /** Keys waiting now (not counting delayed ones). */
  get length(): number {
    return this.pending.length;
  }

  /** How many times the handler has run (tests use it to see that work happened). */
  get processed(): number {
    return this.processedCount;
  }

  /** Queues a key unless it is already waiting. */
  add(key: string): void {
    if (this.stateValue !== 'running' || this.dirty.has(key)) return;
    this.dirty.add(key);
    this.pending.push(key);
    this.schedule();
  }

  /** Queues a key after `ms`; an earlier pending delay for the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.stateValue !== 'running') return;
    if (ms <= 0) return this.add(key);
    const at = Date.now() + ms;
    const existing = this.timers.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  /** Queues a key after its back-off delay (which grows with each call until `forget`). */
  addRateLimited(key: string): void {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    this.addAfter(key, this.backoff(n));
  }

  /** The delay the n-th consecutive failure (from 0) waits. */
  backoff(n: number): number {
    return Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.min(n, 30));
  }

  /** Resets a key's back-off. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** Stops processing and drops every waiting and delayed key. Safe to call twice. */
  close(): void {
    this.stateValue = 'closed';
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
    this.pending.length = 0;
    this.dirty.clear();
    this.failures.clear();
  }

  private schedule(): void {
    if (this.scheduled || this.stateValue !== 'running') return;
    this.scheduled = setImmediate(() => {
      this.scheduled = undefined;
      this.runBatch();
    });
  }

  private runBatch(): void {
    for (let i = 0; i < this.batchSize && this.stateValue === 'running'; i++) {
      const key = this.pending.shift();
      if (key === undefined) return;
      // Removed from `dirty` before the handler runs, so a change seen during processing queues it again.
      this.dirty.delete(key);
      this.processedCount++;
      try {
        this.opts.handler(key);
        this.forget(key);
      } catch (err) {
        const attempt = (this.failures.get(key) ?? 0) + 1;
        try {
          this.opts.onError?.(key, err, attempt);
        } catch {
          // A logger's failure must not lose the key.
        }
        this.addRateLimited(key);
      }
    }
    if (this.pending.length > 0) this.schedule();
  }
}
