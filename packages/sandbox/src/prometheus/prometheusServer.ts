/**
 * The sandbox's real Prometheus: a `prometheus` process scraping the pods the sandbox's HTTP service
 * discovery lists, every second. It can be stopped and started again on the same URL and data, so tests
 * can make Prometheus vanish in the middle of a rollout.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProcessTracker } from '../util/processes';
import { renderPrometheusConfig, type ScrapeConfig } from './config';
import { launchOnFreePort, launchOnPort, type ServerLaunch } from '../util/serverProcess';
import { MissingBinaryError } from '../errors/missingBinaryError';

export type PrometheusState = 'new' | 'starting' | 'running' | 'stopping' | 'stopped' | 'closing' | 'closed';

export interface PrometheusServerOptions {
  /** The sandbox's state directory; Prometheus' files go to `<stateDir>/prometheus/`. */
  stateDir: string;
  /** URL of the HTTP service-discovery endpoint (`HttpSdServer.listen()`). */
  sdUrl: string;
  /** Scrape and evaluation interval; default 1. */
  scrapeIntervalSeconds?: number;
  extraScrapeConfigs?: ScrapeConfig[];
  /** Default: a tracker on `stateDir`. */
  tracker?: ProcessTracker;
  /** Default: `prometheus` on the PATH. */
  binary?: string;
  /** Port to try first; another free one is used if it is taken. Default: a free port. */
  port?: number;
  /** How long to wait for `/-/ready`; default 30 000. */
  readyTimeoutMs?: number;
}

const DEFAULT_BINARY = 'prometheus';

/** The prometheus binary is missing or cannot be run.  */
/** The one-line error for a missing prometheus program, saying what to do. */
export function prometheusNotFound(binary: string, cause?: unknown): MissingBinaryError {
  return new MissingBinaryError(
    'prometheus',
    'install it (Debian: apt-get install prometheus) or pass --prometheus-binary',
    { cause, path: binary === DEFAULT_BINARY ? undefined : binary },
  );
}

/** True when `url` is a Prometheus that has finished starting (WAL replayed, ready for queries). */
export async function prometheusReady(url: string, timeoutMs = 1000): Promise<boolean> {
  const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  return res.status === 200 && text.includes('Prometheus');
}

/** Waits while another process still holds the port we must come back on (a restart keeps its URL). */
const SAME_PORT_ATTEMPTS = 20;
const SAME_PORT_BACKOFF_MS = 250;

export class PrometheusServer {
  private readonly dir: string;
  private readonly dataDir: string;
  private readonly configFile: string;
  private readonly tracker: ProcessTracker;
  private readonly launch: ServerLaunch;
  private port: number | undefined;
  private child: ChildProcess | undefined;
  private currentState: PrometheusState = 'new';
  private starting: Promise<string> | undefined;
  private stopping: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly opts: PrometheusServerOptions) {
    this.dir = join(opts.stateDir, 'prometheus');
    this.dataDir = join(this.dir, 'data');
    this.configFile = join(this.dir, 'prometheus.yml');
    this.tracker = opts.tracker ?? new ProcessTracker(opts.stateDir);
    const binary = opts.binary ?? DEFAULT_BINARY;
    this.launch = {
      tracker: this.tracker,
      name: 'prometheus',
      program: 'prometheus',
      binary,
      args: (port) => [
        `--config.file=${this.configFile}`,
        `--storage.tsdb.path=${this.dataDir}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--web.enable-lifecycle',
        '--storage.tsdb.retention.time=1d',
        '--log.level=warn',
      ],
      logFile: join(this.dir, 'prometheus.log'),
      ready: (port) => prometheusReady(`http://127.0.0.1:${port}`),
      addressInUse: /address already in use/,
      notFound: (cause) => prometheusNotFound(binary, cause),
      readyTimeoutMs: opts.readyTimeoutMs,
    };
  }

  get state(): PrometheusState {
    return this.currentState;
  }

  /** `http://127.0.0.1:<port>` once a port has been chosen; it stays the same across stop/restart. */
  get url(): string | undefined {
    return this.port === undefined ? undefined : `http://127.0.0.1:${this.port}`;
  }

  /** Where Prometheus writes its output (useful in error messages and when a test fails). */
  get logFile(): string {
    return this.launch.logFile;
  }

  /**
   * Starts Prometheus (again, on the same port and data, after `stop()`); resolves with its URL once
   * `/-/ready` answers. Calling it while running or starting returns the same URL.
   */
  start(): Promise<string> {
    if (this.currentState === 'running' && this.url) return Promise.resolve(this.url);
    if (this.starting) return this.starting;
    if (this.currentState === 'closing' || this.currentState === 'closed') {
      return Promise.reject(new Error(`PrometheusServer cannot start: it is ${this.currentState}`));
    }
    if (this.currentState === 'stopping') return (this.stopping ?? Promise.resolve()).then(() => this.start());
    const first = this.currentState === 'new';
    this.currentState = 'starting';
    this.starting = (first ? this.firstStart() : this.startOnSamePort()).then(
      (url) => {
        this.starting = undefined;
        // close() may have begun meanwhile; it waits for this start and owns the state from then on.
        if (this.currentState === 'starting') this.currentState = 'running';
        return url;
      },
      (e: unknown) => {
        this.starting = undefined;
        if (this.currentState === 'starting') this.currentState = first ? 'new' : 'stopped';
        throw e;
      },
    );
    return this.starting;
  }

  private async firstStart(): Promise<string> {
    mkdirSync(this.dir, { recursive: true });
    // A previous sandbox's series would otherwise show up in this one's queries.
    rmSync(this.dataDir, { recursive: true, force: true });
    mkdirSync(this.dataDir, { recursive: true });
    writeFileSync(
      this.configFile,
      renderPrometheusConfig({
        sdUrl: this.opts.sdUrl,
        scrapeIntervalSeconds: this.opts.scrapeIntervalSeconds ?? 1,
        extraScrapeConfigs: this.opts.extraScrapeConfigs,
      }),
    );
    const { child, port } = await launchOnFreePort(this.launch, this.opts.port);
    this.child = child;
    this.port = port;
    return `http://127.0.0.1:${port}`;
  }

  private async startOnSamePort(): Promise<string> {
    const port = this.port as number;
    for (let i = 1; ; i++) {
      const child = await launchOnPort(this.launch, port);
      if (child !== 'portTaken') {
        this.child = child;
        return `http://127.0.0.1:${port}`;
      }
      if (i >= SAME_PORT_ATTEMPTS) {
        throw new Error(
          `prometheus cannot come back on port ${port}: another process holds it; see ${this.launch.logFile}`,
        );
      }
      await new Promise((r) => setTimeout(r, SAME_PORT_BACKOFF_MS));
    }
  }

  /** Stops the process (SIGTERM, then SIGKILL) and keeps port and data for `start()`. */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    if (this.currentState === 'starting')
      return (this.starting ?? Promise.resolve()).then(
        () => this.stop(),
        () => this.stop(),
      );
    if (this.currentState !== 'running') return Promise.resolve();
    this.currentState = 'stopping';
    this.stopping = this.stopChild().finally(() => {
      this.stopping = undefined;
      if (this.currentState === 'stopping') this.currentState = 'stopped';
    });
    return this.stopping;
  }

  private async stopChild(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child) await this.tracker.stop(child);
  }

  /** Stops and starts again on the same URL and data directory. */
  async restart(): Promise<string> {
    await this.stop();
    return this.start();
  }

  /** Stops Prometheus for good and deletes its data (config and log stay). Safe to call twice. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    const pendingStart = this.starting;
    const pendingStop = this.stopping;
    this.currentState = 'closing';
    this.closing = (async () => {
      const errors: unknown[] = [];
      await pendingStart?.catch(() => undefined);
      await pendingStop?.catch(() => undefined);
      await this.stopChild().catch((e: unknown) => errors.push(e));
      try {
        rmSync(this.dataDir, { recursive: true, force: true });
      } catch (e) {
        errors.push(e);
      }
      this.currentState = 'closed';
      if (errors.length > 0) throw new AggregateError(errors, 'closing prometheus failed');
    })();
    return this.closing;
  }
}
