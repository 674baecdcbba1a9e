/**
 * Real probes: an HTTP GET, a TCP connect or a command, against the pod's own IP, with the kubelet's
 * thresholds (`successThreshold` / `failureThreshold` consecutive results flip the state) and timing
 * (`initialDelaySeconds`, `periodSeconds`, `timeoutSeconds`). Failure messages use the kubelet's words.
 */
import { execFile } from 'node:child_process';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { ContainerPort, ExecAction, HTTPGetAction, Probe, TCPSocketAction } from 'kubernetes-types/core/v1';

export type ProbeKind = 'readiness' | 'liveness' | 'startup';

/** The container a probe checks. */
export interface ProbeTarget {
  podIP: string;
  ports: readonly ContainerPort[];
  env: Readonly<Record<string, string>>;
  cwd: string;
}

/** One check's result; `message` says why it failed (empty on success). */
export interface ProbeOutcome {
  ok: boolean;
  message: string;
}

/** The handler part of a probe or a lifecycle hook. */
export interface ProbeHandler {
  httpGet?: HTTPGetAction;
  tcpSocket?: TCPSocketAction;
  exec?: ExecAction;
  grpc?: unknown;
}

const USER_AGENT = 'kube-probe/1.32';
const MAX_BODY = 10 * 1024;

/** A numeric port, or a named one looked up in the container's ports. */
export function resolvePort(port: number | string | undefined, ports: readonly ContainerPort[]): number | undefined {
  if (typeof port === 'number') return port;
  if (port === undefined) return undefined;
  if (/^\d+$/.test(port)) return Number(port);
  return ports.find((p) => p.name === port)?.containerPort;
}

function dialError(host: string, port: number, err: NodeJS.ErrnoException): string {
  if (err.code === 'ECONNREFUSED') return `dial tcp ${host}:${port}: connect: connection refused`;
  if (err.code === 'EADDRNOTAVAIL') return `dial tcp ${host}:${port}: connect: cannot assign requested address`;
  return `dial tcp ${host}:${port}: ${err.message}`;
}

function httpCheck(
  h: HTTPGetAction,
  target: ProbeTarget,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<ProbeOutcome> {
  const port = resolvePort(h.port, target.ports);
  if (port === undefined) return Promise.resolve({ ok: false, message: `unable to find port "${String(h.port)}"` });
  const host = h.host || target.podIP;
  const https = (h.scheme ?? 'HTTP').toUpperCase() === 'HTTPS';
  const path = (h.path ?? '/').startsWith('/') ? (h.path ?? '/') : `/${h.path}`;
  const url = `${https ? 'https' : 'http'}://${host}:${port}${path}`;
  const headers: Record<string, string> = { 'User-Agent': USER_AGENT, Accept: '*/*' };
  for (const hd of h.httpHeaders ?? []) headers[hd.name] = hd.value;
  return new Promise((resolve) => {
    let settled = false;
    const done = (o: ProbeOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(o);
    };
    const onResponse = (res: IncomingMessage): void => {
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY) res.destroy();
      });
      const code = res.statusCode ?? 0;
      res.on('close', () =>
        done(
          code >= 200 && code < 400
            ? { ok: true, message: '' }
            : { ok: false, message: `HTTP probe failed with statuscode: ${code}` },
        ),
      );
      res.on('error', () => undefined);
    };
    const opts = {
      host,
      port,
      path,
      method: 'GET',
      headers,
      agent: false as const,
      signal,
      ...(https ? { rejectUnauthorized: false } : {}),
    };
    const req = https ? httpsRequest(opts, onResponse) : httpRequest(opts, onResponse);
    const timer = setTimeout(() => {
      done({
        ok: false,
        message: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
      });
      req.destroy();
    }, timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) =>
      done({ ok: false, message: `Get "${url}": ${dialError(host, port, err)}` }),
    );
    req.end();
  });
}

function tcpCheck(
  t: TCPSocketAction,
  target: ProbeTarget,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<ProbeOutcome> {
  const port = resolvePort(t.port, target.ports);
  if (port === undefined) return Promise.resolve({ ok: false, message: `unable to find port "${String(t.port)}"` });
  const host = t.host || target.podIP;
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const finish = (o: ProbeOutcome): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', abort);
      socket.destroy();
      resolve(o);
    };
    const abort = (): void => finish({ ok: false, message: 'probe stopped' });
    const timer = setTimeout(() => finish({ ok: false, message: `dial tcp ${host}:${port}: i/o timeout` }), timeoutMs);
    signal.addEventListener('abort', abort);
    socket.once('connect', () => finish({ ok: true, message: '' }));
    socket.once('error', (err: NodeJS.ErrnoException) => finish({ ok: false, message: dialError(host, port, err) }));
  });
}

function execCheck(e: ExecAction, target: ProbeTarget, timeoutMs: number, signal: AbortSignal): Promise<ProbeOutcome> {
  const argv = e.command ?? [];
  if (argv.length === 0) return Promise.resolve({ ok: false, message: 'exec probe has no command' });
  return new Promise((resolve) => {
    execFile(
      argv[0],
      argv.slice(1),
      {
        env: { ...target.env },
        cwd: target.cwd,
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: MAX_BODY,
        signal,
      },
      (err, stdout, stderr) => {
        const output = `${stdout}${stderr}`.trim();
        if (!err) return resolve({ ok: true, message: '' });
        const e2 = err as NodeJS.ErrnoException & { killed?: boolean; code?: number | string };
        if (e2.code === 'ENOENT')
          return resolve({ ok: false, message: `exec: "${argv[0]}": executable file not found in $PATH` });
        if (e2.killed) return resolve({ ok: false, message: `command ${JSON.stringify(argv.join(' '))} timed out` });
        resolve({
          ok: false,
          message: output || `command ${JSON.stringify(argv.join(' '))} exited with ${String(e2.code)}`,
        });
      },
    );
  });
}

/** Runs a probe or hook handler once. Never rejects: errors are failed outcomes. */
export function runHandler(
  h: ProbeHandler,
  target: ProbeTarget,
  timeoutMs: number,
  signal: AbortSignal = new AbortController().signal,
): Promise<ProbeOutcome> {
  if (h.httpGet) return httpCheck(h.httpGet, target, timeoutMs, signal);
  if (h.tcpSocket) return tcpCheck(h.tcpSocket, target, timeoutMs, signal);
  if (h.exec) return execCheck(h.exec, target, timeoutMs, signal);
  if (h.grpc) return Promise.resolve({ ok: false, message: 'grpc probes are not supported by the sandbox' });
  return Promise.resolve({ ok: false, message: 'probe has no handler' });
}

/** What a probe worker reports: every outcome, and the probe's state after thresholds. */
export interface ProbeListener {
  /** After every check. `state` is the thresholded result; `changed` says it just flipped. */
  (outcome: ProbeOutcome, state: boolean, changed: boolean): void;
}

/**
 * Repeats one probe of one container instance. Readiness starts failed, liveness starts healthy;
 * a liveness or startup probe that reaches its failure threshold stops (the container is restarted).
 */
export class ProbeWorker {
  private lastResult: boolean | undefined;
  private run = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly abort = new AbortController();
  private stopped = false;
  /** The thresholded state: readiness starts false, liveness true, startup unknown until it succeeds or fails. */
  state: boolean | undefined;

  constructor(
    readonly kind: ProbeKind,
    private readonly probe: Probe,
    private readonly target: ProbeTarget,
    private readonly listener: ProbeListener,
  ) {
    this.state = kind === 'liveness' ? true : kind === 'readiness' ? false : undefined;
  }

  /** Starts probing after `initialDelaySeconds`. */
  start(): void {
    this.schedule((this.probe.initialDelaySeconds ?? 0) * 1000);
  }

  /** Stops probing and abandons a check in flight. Safe to call twice. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.abort.abort();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    const began = Date.now();
    const timeoutMs = Math.max(1, this.probe.timeoutSeconds ?? 1) * 1000;
    const outcome = await runHandler(this.probe, this.target, timeoutMs, this.abort.signal);
    if (this.stopped) return;
    if (this.lastResult === outcome.ok) this.run++;
    else {
      this.lastResult = outcome.ok;
      this.run = 1;
    }
    const threshold = outcome.ok
      ? this.kind === 'readiness'
        ? (this.probe.successThreshold ?? 1)
        : 1
      : (this.probe.failureThreshold ?? 3);
    let changed = false;
    if (this.run >= threshold && this.state !== outcome.ok) {
      this.state = outcome.ok;
      changed = true;
    }
    const finished =
      (this.kind !== 'readiness' && changed && !outcome.ok) || (this.kind === 'startup' && changed && outcome.ok);
    if (finished) this.stopped = true;
    this.listener(outcome, this.state ?? false, changed);
    const periodMs = Math.max(1, this.probe.periodSeconds ?? 10) * 1000;
    this.schedule(Math.max(0, began + periodMs - Date.now()));
  }
}
