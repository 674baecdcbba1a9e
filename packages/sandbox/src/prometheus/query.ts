/**
 * A small typed client for the Prometheus HTTP API, for tests and the demo: instant queries and the
 * list of active targets. Prometheus' own error text is passed on, so a bad query says what is wrong.
 */

/** One element of an instant query's answer. */
export interface InstantSample {
  metric: Record<string, string>;
  value: number;
}

/** One active scrape target, as `/api/v1/targets` lists it. */
export interface ActiveTarget {
  labels: Record<string, string>;
  scrapeUrl: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
}

/** Prometheus answered with an error, or not with its API's JSON. */
export class PrometheusQueryError extends Error {
  override readonly name = 'PrometheusQueryError';
  readonly code = 'PROMETHEUS_QUERY_FAILED';

  constructor(
    message: string,
    readonly errorType?: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

interface ApiResponse<T> {
  status: 'success' | 'error';
  data?: T;
  errorType?: string;
  error?: string;
}

type SampleValue = [number, string];

interface QueryData {
  resultType: 'vector' | 'scalar' | 'matrix' | 'string';
  result: { metric: Record<string, string>; value: SampleValue }[] | SampleValue;
}

/** Prometheus writes special floats as "+Inf", "-Inf" and "NaN", which Number() only partly reads. */
export function parseSampleValue(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

async function apiGet<T>(url: string, path: string, params: Record<string, string>, timeoutMs: number): Promise<T> {
  const target = new URL(path, url.endsWith('/') ? url : `${url}/`);
  for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v);
  let res: Response;
  try {
    res = await fetch(target, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    throw new PrometheusQueryError(`prometheus at ${url} did not answer: ${(e as Error).message}`);
  }
  const text = await res.text();
  let body: ApiResponse<T>;
  try {
    body = JSON.parse(text) as ApiResponse<T>;
  } catch {
    throw new PrometheusQueryError(
      `prometheus at ${url} answered ${res.status} without JSON: ${text.slice(0, 200)}`,
      undefined,
      res.status,
    );
  }
  if (body.status !== 'success' || body.data === undefined) {
    throw new PrometheusQueryError(
      `prometheus: ${body.errorType ?? 'error'}: ${body.error ?? text.slice(0, 200)}`,
      body.errorType,
      res.status,
    );
  }
  return body.data;
}

/** Evaluates `promql` now (or at `opts.time`, seconds since the epoch); a scalar comes back as one sample. */
export async function queryInstant(
  url: string,
  promql: string,
  opts: { time?: number; timeoutMs?: number } = {},
): Promise<InstantSample[]> {
  const params: Record<string, string> = { query: promql };
  if (opts.time !== undefined) params.time = String(opts.time);
  const data = await apiGet<QueryData>(url, 'api/v1/query', params, opts.timeoutMs ?? 5000);
  if (data.resultType === 'scalar') {
    const [, v] = data.result as SampleValue;
    return [{ metric: {}, value: parseSampleValue(v) }];
  }
  if (data.resultType !== 'vector') {
    throw new PrometheusQueryError(`prometheus: query returned a ${data.resultType}, not an instant vector: ${promql}`);
  }
  return (data.result as { metric: Record<string, string>; value: SampleValue }[]).map((r) => ({
    metric: r.metric,
    value: parseSampleValue(r.value[1]),
  }));
}

/** The targets Prometheus currently scrapes. */
export async function activeTargets(url: string, opts: { timeoutMs?: number } = {}): Promise<ActiveTarget[]> {
  const data = await apiGet<{ activeTargets: ActiveTarget[] }>(
    url,
    'api/v1/targets',
    { state: 'active' },
    opts.timeoutMs ?? 5000,
  );
  return data.activeTargets.map((t) => ({
    labels: t.labels,
    scrapeUrl: t.scrapeUrl,
    health: t.health,
    lastError: t.lastError,
  }));
}
