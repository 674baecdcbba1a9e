/**
 * A client of Ramp's API as it runs in the sandbox cluster: requests go to the sandbox gateway with
 * `Host: <service>.<namespace>`, which routes them to the Service's ready endpoints as kube-proxy would
 * (nothing answers on a ClusterIP in the sandbox). A poller measures what a client sees while the API's
 * pods are replaced.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';

/** An API answer: the status, and the body parsed as JSON when it is. */
export interface ApiAnswer {
  status: number;
  body: unknown;
}

/** Ramp's API behind a Service, through the gateway. */
export class InClusterApi {
  constructor(
    private readonly gatewayUrl: string,
    /** `<service>.<namespace>`. */
    private readonly host: string,
  ) {}

  /** One request; rejects on a transport error or after `timeoutMs`. */
  request(
    method: string,
    path: string,
    opts: { token?: string; body?: unknown; timeoutMs?: number } = {},
  ): Promise<ApiAnswer> {
    const url = new URL(path, this.gatewayUrl);
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const headers: Record<string, string> = { host: this.host };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (payload !== undefined) headers['content-type'] = 'application/json';
    return new Promise((resolve, reject) => {
      const req = http.request(url, { method, headers, timeout: opts.timeoutMs ?? 10_000 }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('error', reject);
        res.on('end', () => {
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // Not JSON (a gateway error page): keep the text.
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in ${opts.timeoutMs ?? 10_000} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }
}

/** One poll: when it was sent (ms since the poller started) and whether it got a 200. */
export interface Poll {
  sentAt: number;
  ok: boolean;
  /** The status, or the transport error. */
  detail: string;
}

/** What a poller saw. */
export interface PollSummary {
  polls: number;
  failed: number;
  /** failed × the interval: the time a client polling at that interval saw the API down. */
  downtimeMs: number;
  /** The longest time between two successful polls' sending (ms). */
  longestGapMs: number;
  /** Distinct failures, with counts. */
  failures: Record<string, number>;
  wallMs: number;
}

/** Sends `probe` every `intervalMs` (not waiting for the previous one) until stopped. */
export class Poller {
  private readonly polls: Promise<Poll>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;

  constructor(
    private readonly probe: () => Promise<ApiAnswer>,
    private readonly intervalMs = 100,
  ) {}

  start(): void {
    this.startedAt = performance.now();
    const tick = (): void => {
      const sentAt = performance.now() - this.startedAt;
      this.polls.push(
        this.probe().then(
          (a) => ({ sentAt, ok: a.status === 200, detail: String(a.status) }),
          (e: Error) => ({ sentAt, ok: false, detail: e.message.replace(/\d+\.\d+\.\d+\.\d+:\d+/g, '<addr>') }),
        ),
      );
    };
    tick();
    this.timer = setInterval(tick, this.intervalMs);
  }

  /** Stops sending, waits for the answers in flight, and sums them up. */
  async stop(): Promise<PollSummary> {
    if (this.timer) clearInterval(this.timer);
    const wallMs = performance.now() - this.startedAt;
    const polls = (await Promise.all(this.polls)).sort((a, b) => a.sentAt - b.sentAt);
    const failures: Record<string, number> = {};
    for (const p of polls) if (!p.ok) failures[p.detail] = (failures[p.detail] ?? 0) + 1;
    const okTimes = polls.filter((p) => p.ok).map((p) => p.sentAt);
    let longestGapMs = okTimes.length === 0 ? wallMs : 0;
    for (let i = 1; i < okTimes.length; i++) longestGapMs = Math.max(longestGapMs, okTimes[i] - okTimes[i - 1]);
    const failed = polls.length - okTimes.length;
    return {
      polls: polls.length,
      failed,
      downtimeMs: failed * this.intervalMs,
      longestGapMs: Math.round(longestGapMs),
      failures,
      wallMs: Math.round(wallMs),
    };
  }
}
