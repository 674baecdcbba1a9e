/**
 * Steady open-loop HTTP load through the sandbox gateway: requests leave on schedule whether or not
 * earlier ones were answered (as real users keep arriving while a version misbehaves), and every
 * answer is counted by the revision that gave it — so a benchmark can say how many bad responses users
 * of each revision saw, and when.
 */
import { createRng } from '../util/random';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { LoadTally, type LoadReport } from './loadReport';

export type { LoadReport, RevisionReport } from './loadReport';

/** idle → running → stopping → stopped. */
export type LoadGeneratorState = 'idle' | 'running' | 'stopping' | 'stopped';

/** One finished request, for benchmarks that need a timeline. */
export interface ResponseEvent {
  /** Epoch ms when the request finished. */
  at: number;
  latencyMs: number;
  /** Set when an HTTP answer arrived in full. */
  status?: number;
  /** Set with `status`: the revision the answer is counted under. */
  revision?: string;
  /** The `x-sandbox-pod` header, when present. */
  pod?: string;
  /** Set when no complete answer arrived. */
  error?: 'connection' | 'timeout' | 'aborted';
  message?: string;
}

/** Called once per finished request (answered, failed or timed out). */
export type ResponseListener = (event: ResponseEvent) => void;

/** Where to send, how fast, and what every request carries. */
export interface LoadGeneratorOptions {
  /** The gateway, e.g. http://127.0.0.1:8080. */
  url: string;
  /** The Host header every request carries (what routes match on). */
  host: string;
  ratePerSecond: number;
  /** Request path and query; default the URL's. */
  path?: string;
  headers?: Record<string, string>;
  /** Sent as the Cookie header. */
  cookie?: string;
  /** A request not answered in full within this is a transport error. Default 10 s. */
  timeoutMs?: number;
  /** Seeds the Poisson arrivals. Default 1. */
  seed?: number;
  /** 'uniform' (default): exactly every 1/rate s; 'poisson': exponential gaps with the same mean. */
  arrivals?: 'uniform' | 'poisson';
  /** Requests outstanding at most; one due beyond it is skipped. Default one second of load, 64..1024. */
  maxInFlight?: number;
  /** Stop scheduling after this many requests (sent + skipped); `finished()` then resolves. */
  maxRequests?: number;
  onResponse?: ResponseListener;
}

function header(res: http.IncomingMessage, name: string): string | undefined {
  const v = res.headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s === '' ? undefined : s;
}

/** Sends requests at a steady rate and counts the answers per revision. */
export class LoadGenerator {
  private stateValue: LoadGeneratorState = 'idle';
  private readonly target: URL;
  private readonly path: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly maxInFlight: number;
  private readonly nextGap: () => number;
  private readonly agent: http.Agent;
  private readonly listeners = new Set<ResponseListener>();
  private tally = new LoadTally();
  /** Answers to requests sent before a reset() are not counted in the new tally. */
  private generation = 0;
  private startedAt = 0;
  private stoppedAt: number | undefined;
  private nextDueAt = 0;
  private attempts = 0;
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private drained: (() => void) | undefined;
  private stopping: Promise<LoadReport> | undefined;
  private readonly done: Promise<LoadReport>;
  private resolveDone!: (r: LoadReport) => void;

  constructor(private readonly opts: LoadGeneratorOptions) {
    if (!(opts.ratePerSecond > 0) || !Number.isFinite(opts.ratePerSecond))
      throw new RangeError(`ratePerSecond: must be a positive number, got ${opts.ratePerSecond}`);
    if (opts.maxInFlight !== undefined && !(opts.maxInFlight >= 1))
      throw new RangeError(`maxInFlight: must be at least 1, got ${opts.maxInFlight}`);
    this.target = new URL(opts.url);
    this.path = opts.path ?? `${this.target.pathname}${this.target.search}`;
    this.headers = {
      ...(opts.headers ?? {}),
      host: opts.host,
      ...(opts.cookie !== undefined ? { cookie: opts.cookie } : {}),
    };
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.maxInFlight = opts.maxInFlight ?? Math.max(64, Math.min(1024, Math.ceil(opts.ratePerSecond)));
    const mean = 1000 / opts.ratePerSecond;
    const random = createRng(opts.seed ?? 1);
    this.nextGap = opts.arrivals === 'poisson' ? () => -Math.log(1 - random()) * mean : () => mean;
    // Beyond 1024 sockets a request waits for one inside the agent; its latency still counts from its due time.
    this.agent = new http.Agent({ keepAlive: true, maxSockets: Math.min(this.maxInFlight, 1024), timeout: 4000 });
    if (opts.onResponse) this.listeners.add(opts.onResponse);
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  get state(): LoadGeneratorState {
    return this.stateValue;
  }

  /** Subscribes to every finished request; answers the unsubscribe function. */
  onResponse(listener: ResponseListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  start(): void {
    if (this.stateValue !== 'idle') throw new Error(`cannot start: the load generator is ${this.stateValue}`);
    this.stateValue = 'running';
    this.startedAt = performance.now();
    this.nextDueAt = this.startedAt;
    this.tick();
  }

  /** The counts so far (the run goes on). */
  snapshot(): LoadReport {
    return this.tally.report(Math.max(0, (this.stoppedAt ?? performance.now()) - this.startedAt));
  }

  /** Zeroes the counts and the elapsed time; the schedule goes on. */
  reset(): void {
    this.tally = new LoadTally();
    this.generation++;
    this.startedAt = performance.now();
  }

  /** Resolves with the report once the run is over: `maxRequests` reached and answered, or stop(). */
  finished(): Promise<LoadReport> {
    return this.done;
  }

  /** Stops sending, waits for requests in flight (at most `timeoutMs`), and answers the report. */
  stop(): Promise<LoadReport> {
    if (!this.stopping) this.stopping = this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<LoadReport> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const wasRunning = this.stateValue === 'running';
    this.stateValue = 'stopping';
    this.stoppedAt = wasRunning ? performance.now() : this.startedAt;
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    this.agent.destroy();
    this.stateValue = 'stopped';
    const report = this.snapshot();
    this.resolveDone(report);
    return report;
  }

  private exhausted(): boolean {
    return this.opts.maxRequests !== undefined && this.attempts >= this.opts.maxRequests;
  }

  private readonly tick = (): void => {
    this.timer = undefined;
    if (this.stateValue !== 'running') return;
    const now = performance.now();
    // Open loop: everything due by now goes out now, even after the event loop was held up.
    while (this.nextDueAt <= now && !this.exhausted()) {
      this.attempts++;
      if (this.inFlight >= this.maxInFlight) this.tally.skipped++;
      else this.send();
      this.nextDueAt += this.nextGap();
    }
    if (this.exhausted()) {
      if (this.inFlight === 0) void this.stop();
      return;
    }
    this.timer = setTimeout(this.tick, Math.max(0, this.nextDueAt - performance.now()));
  };

  private send(): void {
    const generation = this.generation;
    const tally = this.tally;
    const sentAt = performance.now();
    let finished = false;
    let timedOut = false;
    this.inFlight++;
    tally.sent++;
    const finish = (ev: Omit<ResponseEvent, 'at' | 'latencyMs'>): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      const latencyMs = performance.now() - sentAt;
      if (generation === this.generation) {
        if (ev.status !== undefined && ev.revision !== undefined) tally.response(ev.revision, ev.status, latencyMs);
        else tally.transportErrors++;
      }
      this.inFlight--;
      this.emit({ at: Date.now(), latencyMs, ...ev });
      if (this.inFlight === 0) this.afterDrain();
    };
    const req = http.request({
      hostname: this.target.hostname.replace(/^\[|\]$/g, ''),
      port: this.target.port || 80,
      path: this.path,
      method: 'GET',
      headers: this.headers,
      agent: this.agent,
    });
    const timer = setTimeout(() => {
      timedOut = true;
      req.destroy(new Error(`no complete answer within ${this.timeoutMs} ms`));
    }, this.timeoutMs);
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      const revision = header(res, 'x-sandbox-revision') ?? header(res, 'x-app-version') ?? 'unknown';
      const pod = header(res, 'x-sandbox-pod');
      res.resume();
      res.on('end', () => finish({ status, revision, pod }));
      res.on('close', () =>
        finish({ pod, error: timedOut ? 'timeout' : 'aborted', message: `response from ${pod ?? 'upstream'} cut off` }),
      );
    });
    req.on('error', (e) => finish({ error: timedOut ? 'timeout' : 'connection', message: e.message }));
    req.end();
  }

  private afterDrain(): void {
    const drained = this.drained;
    this.drained = undefined;
    drained?.();
    if (this.stateValue === 'running' && this.exhausted()) void this.stop();
  }

  private emit(ev: ResponseEvent): void {
    for (const l of this.listeners) {
      try {
        l(ev);
      } catch {
        // A benchmark's listener failing must not stop the load or lose the count.
      }
    }
  }
}
