/**
 * The Prometheus metric provider: instant queries through the HTTP API (`POST /api/v1/query`), with a
 * deadline, bearer or basic auth read from files (so rotated credentials are picked up), and TLS.
 * Every query is first confined to the caller's namespace (scope.ts). Failures are classified, never
 * thrown: the query's fault (`invalidQuery`) or the server's (`unavailable`). Reasons are fixed texts
 * of Ramp's own — a status code at most — because they reach tenants in verdicts, events and API
 * errors; what the server answered goes to the server log only.
 */
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { BuiltInCounters, MetricProvider, QueryOptions, QueryScope, TemplateVars } from '../metricProvider';
import type { RevisionTarget } from '../../revisionSeries';
import { latencyQuery, renderQuery, requestsQuery } from './promql';
import type { ProviderResult, Sample } from '../../types';
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

function samplesOf(data: ApiBody['data']): ProviderResult {
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
  if (type === 'matrix' || type === 'string') {
    return {
      kind: 'invalidQuery',
      reason: `the query returns a ${type === 'matrix' ? 'range vector' : 'string'}; expected an instant vector or a scalar`,
    };
  }
  return { kind: 'unavailable', reason: 'Prometheus answered with a result type Ramp does not know' };
}

/** Turns what came back into a result: 400 bad_data and 422 execution are the query's fault. */
export function classifyAnswer(r: PostResult): Classified {
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
  if (body.status === 'success' && r.status >= 200 && r.status < 300) return { result: samplesOf(body.data) };
  const errorType = ERROR_TYPES.has(body.errorType ?? '') ? (body.errorType as string) : 'error';
  const detail = `${String(body.errorType)}: ${String(body.error ?? r.body.slice(0, 2000))}`;
  if ((r.status === 400 || r.status === 422) && errorType in QUERY_ERRORS)
    return { result: { kind: 'invalidQuery', reason: QUERY_ERRORS[errorType] }, detail };
  return { result: { kind: 'unavailable', reason: `Prometheus answered HTTP ${r.status} (${errorType})` }, detail };
}

/** A MetricProvider on the Prometheus HTTP API. Stateless between queries; no close needed. */
export class PrometheusProvider implements MetricProvider {
  readonly kind = 'prometheus';
  private readonly queryUrl: URL;

  constructor(private readonly opts: PrometheusProviderOptions) {
    const base = opts.address.endsWith('/') ? opts.address : `${opts.address}/`;
    this.queryUrl = new URL('api/v1/query', base);
  }

  /** The address queries go to, for messages. */
  get address(): string {
    return this.opts.address;
  }

  async query(promql: string, opts: QueryOptions): Promise<ProviderResult> {
    const began = performance.now();
    const scoped = scopeQuery(promql, opts.namespace);
    const result: ProviderResult = scoped.ok
      ? await this.run(scoped.query, opts)
      : { kind: 'invalidQuery', reason: scoped.reason };
    this.opts.onRequest?.(result.kind, performance.now() - began);
    return result;
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

  builtInQuery(counters: BuiltInCounters, target: RevisionTarget): string {
    return counters === 'requests' ? requestsQuery(target) : latencyQuery(target);
  }

  renderQuery(template: string, vars: TemplateVars, path: string): string {
    return renderQuery(template, vars, { path });
  }

  private async run(promql: string, opts: QueryOptions): Promise<ProviderResult> {
    let authorization: string | undefined;
    try {
      authorization = await this.authorization();
    } catch (e) {
      this.opts.logger?.warn({ err: e, provider: this.opts.name }, 'cannot read the metric provider credentials');
      return { kind: 'unavailable', reason: "cannot read the metric provider's credentials (the server log says why)" };
    }
    const form = new URLSearchParams({ query: promql });
    if (opts.at) form.set('time', (opts.at.getTime() / 1000).toFixed(3));
    const answer = await postForm(this.queryUrl, form, {
      headers: authorization ? { authorization } : {},
      timeoutMs: this.opts.timeoutMs,
      insecureSkipVerify: this.opts.insecureSkipVerify ?? false,
      signal: opts.signal,
      maxBodyBytes: this.opts.maxBodyBytes ?? 32 * 1024 * 1024,
    });
    const { result, detail } = classifyAnswer(answer);
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
