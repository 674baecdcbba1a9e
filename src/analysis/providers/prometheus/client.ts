/**
 * The Prometheus metric provider: instant queries through the HTTP API (`POST /api/v1/query`), with a
 * deadline, bearer or basic auth read from files (so rotated credentials are picked up), and TLS.
 * Failures are classified, never thrown: the query's fault (`invalidQuery`) or the server's
 * (`unavailable`).
 */
import { readFile } from 'node:fs/promises';
import type { BuiltInCounters, MetricProvider, TemplateVars } from '../metricProvider';
import type { RevisionTarget } from '../../revisionSeries';
import { historyBinsQuery, historyPodsQuery, renderQuery, samplesQuery } from './promql';
import type { ProviderAnswer, ProviderResult, Sample, TimedSample } from '../../types';
import { postForm, type PostResult } from './httpPost';

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
const QUERY_ERRORS = new Set(['bad_data', 'execution']);

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
  return { kind: 'unavailable', reason: `prometheus answered an unknown result type ${JSON.stringify(type)}` };
}

/** Turns what came back into a result: 400 bad_data and 422 execution are the query's fault. */
export function classifyAnswer(r: PostResult, acceptMatrix = false): ProviderResult {
  if (r.kind === 'noAnswer') return { kind: 'unavailable', reason: r.reason };
  let body: ApiBody | undefined;
  try {
    body = JSON.parse(r.body) as ApiBody;
  } catch {
    body = undefined;
  }
  if (!body || typeof body !== 'object') {
    return {
      kind: 'unavailable',
      reason: `prometheus answered HTTP ${r.status} without its JSON: ${r.body.slice(0, 200).trim()}`,
    };
  }
  if (body.status === 'success' && r.status >= 200 && r.status < 300) return samplesOf(body.data, acceptMatrix);
  const what = `${body.errorType ?? 'error'}: ${body.error ?? r.body.slice(0, 200)}`;
  if ((r.status === 400 || r.status === 422) && QUERY_ERRORS.has(body.errorType ?? ''))
    return { kind: 'invalidQuery', reason: what };
  return { kind: 'unavailable', reason: `prometheus answered HTTP ${r.status}: ${what}` };
}

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

  async query(promql: string, opts: { at?: Date; signal?: AbortSignal } = {}): Promise<ProviderResult> {
    const began = performance.now();
    const result = await this.run(promql, opts);
    this.opts.onRequest?.(result.kind, performance.now() - began);
    return result;
  }

  async validate(
    promql: string,
  ): Promise<{ ok: true } | { ok: false; reason: string } | { ok: undefined; reason: string }> {
    const r = await this.query(promql);
    if (r.kind === 'ok') return { ok: true };
    if (r.kind === 'invalidQuery') return { ok: false, reason: r.reason };
    return { ok: undefined, reason: r.reason };
  }

  async counterSamples(
    counters: BuiltInCounters,
    target: RevisionTarget,
    opts: { at: Date; sinceMs: number; signal?: AbortSignal },
  ): Promise<ProviderAnswer<{ samples: TimedSample[] }>> {
    const began = performance.now();
    const form = new URLSearchParams({ query: samplesQuery(counters, target, opts.sinceMs) });
    form.set('time', (opts.at.getTime() / 1000).toFixed(3));
    const r = await this.post(this.queryUrl, form, opts.signal, true);
    this.opts.onRequest?.(r.kind, performance.now() - began);
    if (r.kind !== 'ok') return r;
    return { kind: 'ok', samples: timedSamples(r.samples) };
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
    const pods = await this.query(historyPodsQuery(counters, t, opts.lookbackMs), { at: opts.at });
    if (pods.kind !== 'ok') return pods;
    const end = opts.at.getTime();
    const range = await this.queryRange(historyBinsQuery(counters, t, opts.binMs), {
      start: end - opts.lookbackMs + opts.binMs,
      end,
      stepMs: opts.binMs,
    });
    if (range.kind !== 'ok') return range;
    return { kind: 'ok', pods: pods.samples.filter((s) => Number.isFinite(s.value)), bins: binsOf(range.samples) };
  }

  /** A range query (`/api/v1/query_range`): every point as a sample labelled with its time. */
  async queryRange(promql: string, opts: { start: number; end: number; stepMs: number }): Promise<ProviderResult> {
    const began = performance.now();
    const form = new URLSearchParams({
      query: promql,
      start: (opts.start / 1000).toFixed(3),
      end: (opts.end / 1000).toFixed(3),
      step: `${opts.stepMs / 1000}`,
    });
    const result = await this.post(this.rangeUrl, form, undefined, true);
    this.opts.onRequest?.(result.kind, performance.now() - began);
    return result;
  }

  renderQuery(template: string, vars: TemplateVars, path: string): string {
    return renderQuery(template, vars, { path });
  }

  private async run(promql: string, opts: { at?: Date; signal?: AbortSignal }): Promise<ProviderResult> {
    const form = new URLSearchParams({ query: promql });
    if (opts.at) form.set('time', (opts.at.getTime() / 1000).toFixed(3));
    return this.post(this.queryUrl, form, opts.signal);
  }

  private async post(
    url: URL,
    form: URLSearchParams,
    signal?: AbortSignal,
    acceptMatrix = false,
  ): Promise<ProviderResult> {
    let authorization: string | undefined;
    try {
      authorization = await this.authorization();
    } catch (e) {
      return { kind: 'unavailable', reason: `cannot read the Prometheus credentials: ${(e as Error).message}` };
    }
    const answer = await postForm(url, form, {
      headers: authorization ? { authorization } : {},
      timeoutMs: this.opts.timeoutMs,
      insecureSkipVerify: this.opts.insecureSkipVerify ?? false,
      signal,
      maxBodyBytes: this.opts.maxBodyBytes ?? 32 * 1024 * 1024,
    });
    return classifyAnswer(answer, acceptMatrix);
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
