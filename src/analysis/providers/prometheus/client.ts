/**
 * The Prometheus metric provider: instant and range queries through the HTTP API (`POST /api/v1/query`,
 * `/api/v1/query_range`), with a deadline, bearer or basic auth read from files (so rotated credentials
 * are picked up), and TLS. Every query — a plan's, and the built-in counters and history — is first
 * confined to the caller's namespace (scope.ts) in send(), the only place a request is made. Failures are classified, never
 * thrown: the query's fault (`invalidQuery`) or the server's (`unavailable`). Reasons are fixed texts
 * of Ramp's own — a status code at most — because they reach tenants in verdicts, events and API
 * errors; what the server answered goes to the server log only.
 */
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { BuiltInCounters, MetricProvider, QueryOptions, QueryScope, TemplateVars } from '../metricProvider';
import type { RevisionTarget } from '../../revisionSeries';
import { historyBinsQuery, historyPodsQuery, renderQuery, samplesQuery } from './promql';
import type { ProviderAnswer, ProviderResult, Sample, TimedSample } from '../../types';
import { postForm, type PostResult } from './httpPost';
import { scopeQuery } from './scope';

/** How a request ended, for Ramp's own metrics. */
export type ProviderOutcome = 'ok' | 'unavailable' | 'invalidQuery';

/** The compiled options (durations in ms) of a `prometheus:` provider block, plus a metrics hook. */
export interface PrometheusProviderOptions {
  /** Base URL; a path prefix (`http://host/prometheus`) is kept. */
  address: string;
  timeoutMs: number;
  bearerTokenFile?: string;
  basicAuth?: { username: string; passwordFile: string };
  insecureSkipVerify?: boolean;
  /** Called once per query with how it ended and how long it took. */
  onRequest?: (outcome: ProviderOutcome, ms: number) => void;
  /** Answers larger than this are `unavailable`; default 32 MiB. */
  maxBodyBytes?: number;
  /** Where what the server answered to a failed query is written (never to the tenant). */
  logger?: Logger;
  /** The provider's name in the operator's configuration, for log lines. */
  name?: string;
}

type SampleValue = [number, string];
interface ApiBody {
  status?: string;
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

/** Prometheus writes special floats as "+Inf", "-Inf" and "NaN"; they are kept as numbers. */
function parseValue(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return text === 'NaN' ? NaN : Number(text);
}

/** The query's fault: the plan should be refused. Anything else the server says is worth a retry. */
const QUERY_ERRORS: Record<string, string> = {
  bad_data: 'Prometheus refused the query as malformed (bad_data)',
  execution: 'Prometheus could not evaluate the query (execution error)',
};

/** What Prometheus' errorType may say; anything else is not repeated. */
const ERROR_TYPES = new Set(['bad_data', 'execution', 'timeout', 'canceled', 'internal', 'unavailable', 'not_found']);

/** A classified answer and, for the server log only, what the server said. */
export interface Classified {
  result: ProviderResult;
  /** The server's own words (its error, or the start of a body that was not its JSON). */
  detail?: string;
}

/** The label range answers put each point's time on (seconds, as Prometheus writes it). */
const RANGE_STEP = '__ramp_step';

function samplesOf(data: ApiBody['data'], acceptMatrix = false): ProviderResult {
  const type = data?.resultType;
  if (type === 'scalar' && Array.isArray(data?.result)) {
    return { kind: 'ok', samples: [{ labels: {}, value: parseValue(String((data.result as SampleValue)[1])) }] };
  }
  if (type === 'vector' && Array.isArray(data?.result)) {
    const samples: Sample[] = (data.result as { metric?: Record<string, string>; value?: SampleValue }[]).map((r) => ({
      labels: { ...(r.metric ?? {}) },
      value: parseValue(String(r.value?.[1])),
    }));
    return { kind: 'ok', samples };
  }
  if (type === 'matrix' && acceptMatrix && Array.isArray(data?.result)) {
    const rows = data.result as { metric?: Record<string, string>; values?: SampleValue[] }[];
    const samples: Sample[] = rows.flatMap((r) =>
      (r.values ?? []).map(([t, v]) => ({
        labels: { ...(r.metric ?? {}), [RANGE_STEP]: String(t) },
        value: parseValue(v),
      })),
    );
    return { kind: 'ok', samples };
  }
  if (type === 'matrix' || type === 'string') {
    return {
      kind: 'invalidQuery',
      reason: `the query returns a ${type === 'matrix' ? 'range vector' : 'string'}; expected an instant vector or a scalar`,
    };
  }
  return { kind: 'unavailable', reason: 'Prometheus answered with a result type Ramp does not know' };
}

/** Turns what came back into a result: 400 bad_data and 422 execution are the query's fault. */
export function classifyAnswer(r: PostResult, acceptMatrix = false): Classified {
  if (r.kind === 'noAnswer') return { result: { kind: 'unavailable', reason: r.reason }, detail: r.detail };
  let body: ApiBody | undefined;
  try {
    body = JSON.parse(r.body) as ApiBody;
  } catch {
    body = undefined;
  }
  if (!body || typeof body !== 'object') {
    return {
      result: { kind: 'unavailable', reason: `Prometheus answered HTTP ${r.status} without its JSON` },
      detail: r.body.slice(0, 2000),
    };
  }
  if (body.status === 'success' && r.status >= 200 && r.status < 300)
    return { result: samplesOf(body.data, acceptMatrix) };
  const errorType = ERROR_TYPES.has(body.errorType ?? '') ? (body.errorType as string) : 'error';
  const detail = `${String(body.errorType)}: ${String(body.error ?? r.body.slice(0, 2000))}`;
  if ((r.status === 400 || r.status === 422) && errorType in QUERY_ERRORS)
    return { result: { kind: 'invalidQuery', reason: QUERY_ERRORS[errorType] }, detail };
  return { result: { kind: 'unavailable', reason: `Prometheus answered HTTP ${r.status} (${errorType})` }, detail };
}

/** Milliseconds since the epoch as Prometheus' seconds. */
const seconds = (ms: number): string => (ms / 1000).toFixed(3);

/** A range selector's answer: each point as a sample with its own timestamp (ms). */
export function timedSamples(samples: readonly Sample[]): TimedSample[] {
  return samples.map((s) => {
    const labels = { ...s.labels };
    const t = Number(labels[RANGE_STEP]);
    delete labels[RANGE_STEP];
    return { labels, value: s.value, timestamp: Math.round(t * 1000) };
  });
}

/** A range answer's points grouped by time, oldest first, without the time label. */
function binsOf(samples: readonly Sample[]): Sample[][] {
  const byTime = new Map<number, Sample[]>();
  for (const s of samples) {
    const t = Number(s.labels[RANGE_STEP]);
    const labels = { ...s.labels };
    delete labels[RANGE_STEP];
    if (!Number.isFinite(s.value)) continue;
    byTime.set(t, [...(byTime.get(t) ?? []), { labels, value: s.value }]);
  }
  return [...byTime.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v);
}

/** A MetricProvider on the Prometheus HTTP API. Stateless between queries; no close needed. */
export class PrometheusProvider implements MetricProvider {
  readonly kind = 'prometheus';
  private readonly queryUrl: URL;
  private readonly rangeUrl: URL;

  constructor(private readonly opts: PrometheusProviderOptions) {
    const base = opts.address.endsWith('/') ? opts.address : `${opts.address}/`;
    this.queryUrl = new URL('api/v1/query', base);
    this.rangeUrl = new URL('api/v1/query_range', base);
  }

  /** The address queries go to, for messages. */
  get address(): string {
    return this.opts.address;
  }

  async query(promql: string, opts: QueryOptions): Promise<ProviderResult> {
    const params: Record<string, string> = {};
    if (opts.at) params.time = seconds(opts.at.getTime());
    return this.send('query', promql, params, opts);
  }

  async validate(
    promql: string,
    scope: QueryScope,
  ): Promise<{ ok: true } | { ok: false; reason: string } | { ok: undefined; reason: string }> {
    const r = await this.query(promql, scope);
    if (r.kind === 'ok') return { ok: true };
    if (r.kind === 'invalidQuery') return { ok: false, reason: r.reason };
    return { ok: undefined, reason: r.reason };
  }

  async counterSamples(
    counters: BuiltInCounters,
    target: RevisionTarget,
    opts: { at: Date; sinceMs: number; signal?: AbortSignal },
  ): Promise<ProviderAnswer<{ samples: TimedSample[]; query: string }>> {
    const query = samplesQuery(counters, target, opts.sinceMs);
    const r = await this.send(
      'query',
      query,
      { time: seconds(opts.at.getTime()) },
      { namespace: target.namespace, signal: opts.signal, acceptMatrix: true },
    );
    if (r.kind !== 'ok') return r;
    return { kind: 'ok', samples: timedSamples(r.samples), query };
  }

  async counterHistory(
    counters: BuiltInCounters,
    target: RevisionTarget,
    opts: { at: Date; lookbackMs: number; binMs: number },
  ): Promise<ProviderAnswer<{ pods: Sample[]; bins: Sample[][] }>> {
    const stableRevision = target.stableRevision;
    if (stableRevision === undefined || stableRevision === target.canaryRevision)
      return { kind: 'ok', pods: [], bins: [] };
    const t = { ...target, stableRevision };
    const scope = { namespace: target.namespace };
    const pods = await this.query(historyPodsQuery(counters, t, opts.lookbackMs), { ...scope, at: opts.at });
    if (pods.kind !== 'ok') return pods;
    const end = opts.at.getTime();
    const range = await this.queryRange(historyBinsQuery(counters, t, opts.binMs), {
      ...scope,
      start: end - opts.lookbackMs + opts.binMs,
      end,
      stepMs: opts.binMs,
    });
    if (range.kind !== 'ok') return range;
    return { kind: 'ok', pods: pods.samples.filter((s) => Number.isFinite(s.value)), bins: binsOf(range.samples) };
  }

  /**
   * A range query (`/api/v1/query_range`) confined to `namespace` like any other: every point as a
   * sample labelled with its time.
   */
  async queryRange(
    promql: string,
    opts: QueryScope & { start: number; end: number; stepMs: number; signal?: AbortSignal },
  ): Promise<ProviderResult> {
    const params = { start: seconds(opts.start), end: seconds(opts.end), step: `${opts.stepMs / 1000}` };
    return this.send('query_range', promql, params, { ...opts, acceptMatrix: true });
  }

  renderQuery(template: string, vars: TemplateVars, path: string): string {
    return renderQuery(template, vars, { path });
  }

  /**
   * The one way a query leaves Ramp: `promql` is confined to `opts.namespace` (scope.ts) before anything
   * is sent, and refused (`invalidQuery`) when it cannot be. Reasons are Ramp's fixed texts; what the
   * server answered goes to the log.
   */
  private async send(
    endpoint: 'query' | 'query_range',
    promql: string,
    params: Record<string, string>,
    opts: QueryScope & { signal?: AbortSignal; acceptMatrix?: boolean },
  ): Promise<ProviderResult> {
    const began = performance.now();
    const scoped = scopeQuery(promql, opts.namespace);
    const result: ProviderResult = scoped.ok
      ? await this.post(endpoint, new URLSearchParams({ ...params, query: scoped.query }), opts)
      : { kind: 'invalidQuery', reason: scoped.reason };
    this.opts.onRequest?.(result.kind, performance.now() - began);
    return result;
  }

  /** Only send() calls this, with a query already scoped. */
  private async post(
    endpoint: 'query' | 'query_range',
    form: URLSearchParams,
    opts: QueryScope & { signal?: AbortSignal; acceptMatrix?: boolean },
  ): Promise<ProviderResult> {
    let authorization: string | undefined;
    try {
      authorization = await this.authorization();
    } catch (e) {
      this.opts.logger?.warn({ err: e, provider: this.opts.name }, 'cannot read the metric provider credentials');
      return { kind: 'unavailable', reason: "cannot read the metric provider's credentials (the server log says why)" };
    }
    const answer = await postForm(endpoint === 'query' ? this.queryUrl : this.rangeUrl, form, {
      headers: authorization ? { authorization } : {},
      timeoutMs: this.opts.timeoutMs,
      insecureSkipVerify: this.opts.insecureSkipVerify ?? false,
      signal: opts.signal,
      maxBodyBytes: this.opts.maxBodyBytes ?? 32 * 1024 * 1024,
    });
    const { result, detail } = classifyAnswer(answer, opts.acceptMatrix ?? false);
    if (result.kind !== 'ok')
      this.opts.logger?.warn(
        { provider: this.opts.name, namespace: opts.namespace, outcome: result.kind, reason: result.reason, detail },
        'metric query failed',
      );
    return result;
  }

  /** Read on every query: mounted Secrets and projected ServiceAccount tokens rotate. */
  private async authorization(): Promise<string | undefined> {
    if (this.opts.bearerTokenFile) return `Bearer ${(await readFile(this.opts.bearerTokenFile, 'utf8')).trim()}`;
    if (this.opts.basicAuth) {
      const password = (await readFile(this.opts.basicAuth.passwordFile, 'utf8')).replace(/\r?\n$/, '');
      return `Basic ${Buffer.from(`${this.opts.basicAuth.username}:${password}`).toString('base64')}`;
    }
    return undefined;
  }
}
