/**
 * The demo app: an HTTP service whose error rate and latency are settings (env at start, an admin
 * endpoint at run time), with Prometheus metrics per request — what a canary is judged on. Usable
 * in-process (each app has its own metrics registry) and as the `ramp.dev/demo-app` image.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { configPatchSchema, describeIssue, type DemoConfig } from './config';
import { createRng, seedFromString } from '../util/random';
import { sampleLatency } from './random';

/** Latency buckets in seconds: 5 ms to 10 s. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

export interface DemoAppOptions {
  /** Starting settings; defaults: v1, no errors, 5 ms ± 10 %, ready. */
  config?: Partial<DemoConfig>;
  /** Shown in responses. */
  podName?: string;
  /** PRNG seed; default derived from the pod name. */
  seed?: number;
  /** Also export Node's process metrics (the process entry point does; in-process tests need not). */
  defaultMetrics?: boolean;
  /** Where the app's few log lines go. Default: nowhere. */
  log?: (line: string) => void;
}

/** idle → listening → closing → closed. */
export type DemoAppState = 'idle' | 'listening' | 'closing' | 'closed';

export interface DemoApp {
  readonly server: Server;
  readonly metrics: Registry;
  readonly state: DemoAppState;
  /** The current settings. */
  config(): DemoConfig;
  /** Starts listening; resolves with the bound address. */
  listen(port: number, host: string): Promise<AddressInfo>;
  /** Stops accepting, lets requests in flight finish, then resolves. Safe to call twice. */
  close(): Promise<void>;
}

const DEFAULTS: DemoConfig = { version: 'v1', errorRate: 0, latencyMs: 5, latencyJitter: 0.1, ready: true };
const MAX_BODY = 64 * 1024;

function sendJson(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sendText(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Creates a demo app (not yet listening). */
export function createDemoApp(options: DemoAppOptions = {}): DemoApp {
  const config: DemoConfig = { ...DEFAULTS, ...options.config };
  const podName = options.podName ?? '';
  const rng = createRng(options.seed ?? seedFromString(podName || 'demo-app'));
  const log = options.log ?? (() => undefined);
  const metrics = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: metrics });
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests served by the app, by status code and method.',
    labelNames: ['code', 'method'],
    registers: [metrics],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to serve an app request, by status code and method.',
    labelNames: ['code', 'method'],
    buckets: LATENCY_BUCKETS,
    registers: [metrics],
  });
  let state: DemoAppState = 'idle';
  let closing: Promise<void> | undefined;

  const serveApp = (req: IncomingMessage, res: ServerResponse, path: string): void => {
    const began = process.hrtime.bigint();
    const failed = rng() < config.errorRate;
    const delay = sampleLatency(config.latencyMs, config.latencyJitter, rng);
    const version = config.version;
    const method = req.method ?? 'GET';
    const respond = (): void => {
      const code = failed ? 500 : 200;
      const body = failed
        ? { error: 'injected failure', version, pod: podName, path }
        : { version, pod: podName, path };
      sendJson(res, code, body, { 'x-app-version': version, ...(state === 'closing' ? { connection: 'close' } : {}) });
      const seconds = Number(process.hrtime.bigint() - began) / 1e9;
      requests.inc({ code: String(code), method });
      duration.observe({ code: String(code), method }, seconds);
    };
    if (delay > 0) setTimeout(respond, delay);
    else respond();
  };

  const serveAdmin = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method === 'GET') return sendJson(res, 200, config);
    if (req.method !== 'POST' && req.method !== 'PUT' && req.method !== 'PATCH')
      return sendJson(res, 405, { error: 'method not allowed' }, { allow: 'GET, POST' });
    let body: unknown;
    try {
      const text = await readBody(req);
      body = text.trim() === '' ? {} : JSON.parse(text);
    } catch (e) {
      return sendJson(res, 400, { error: 'invalid JSON body', field: '', message: (e as Error).message });
    }
    const parsed = configPatchSchema.safeParse(body);
    if (!parsed.success) {
      const { field, message } = describeIssue(parsed.error);
      return sendJson(res, 400, { error: `invalid config: ${field}: ${message}`, field, message });
    }
    Object.assign(config, Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined)));
    log(`config changed: ${JSON.stringify(config)}`);
    sendJson(res, 200, config);
  };

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    // A keep-alive connection that finishes its last request while closing must not hold the close up.
    res.on('finish', () => state === 'closing' && server.closeIdleConnections());
    if (path === '/metrics' && req.method === 'GET') {
      void metrics.metrics().then((text) => {
        res.writeHead(200, { 'content-type': metrics.contentType });
        res.end(text);
      });
      return;
    }
    if (path === '/healthz') return sendText(res, 200, 'ok');
    if (path === '/readyz')
      return config.ready && state === 'listening' ? sendText(res, 200, 'ok') : sendText(res, 503, 'not ready');
    if (path === '/admin/config') {
      void serveAdmin(req, res).catch((e: unknown) => sendJson(res, 500, { error: (e as Error).message }));
      return;
    }
    serveApp(req, res, path);
  });

  return {
    server,
    metrics,
    get state() {
      return state;
    },
    config: () => ({ ...config }),
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          state = 'listening';
          resolve(server.address() as AddressInfo);
        });
      });
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        if (state !== 'listening') {
          state = 'closed';
          return resolve();
        }
        state = 'closing';
        server.close(() => {
          state = 'closed';
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
