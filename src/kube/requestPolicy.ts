/**
 * How a failed Kubernetes API request is classified and when it is tried again, pure so it can be tested
 * without a server. Transient: 429 (honouring Retry-After), 500, 502, 503, 504, a timeout, a dropped or
 * refused connection. 409 and 404 are answers, not failures to retry: callers re-read or create.
 */

/** What one request attempt came to, as counted in stats and reported to the onRequest hook. */
export type RequestOutcome = 'ok' | 'notFound' | 'conflict' | 'transient' | 'error';

/** A failed attempt, classified. */
export type Failure =
  | { kind: 'transient'; label: string; retryAfterMs?: number }
  | { kind: 'conflict'; reason: string; message: string }
  | { kind: 'notFound'; message: string }
  | { kind: 'error'; status: number; reason: string; message: string };

/** Bounds on retrying transient failures. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Back-off before the second attempt; doubles each time, with jitter. */
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** A Retry-After longer than this is cut to it, so a throttled call still ends in bounded time. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  initialBackoffMs: 200,
  maxBackoffMs: 5_000,
  maxRetryAfterMs: 10_000,
};

const TRANSIENT_STATUS = new Set([429, 500, 502, 503, 504]);
const TRANSIENT_SOCKET = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ECONNABORTED',
  'ENOTCONN',
]);

interface StatusBody {
  reason: string;
  message: string;
}

function statusBody(body: unknown): StatusBody {
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return { reason: '', message: body.slice(0, 500) };
    }
  }
  const o = (parsed && typeof parsed === 'object' ? parsed : {}) as { reason?: unknown; message?: unknown };
  return {
    reason: typeof o.reason === 'string' ? o.reason : '',
    message: typeof o.message === 'string' ? o.message : '',
  };
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function headerOf(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  for (const [k, v] of Object.entries(headers as Record<string, unknown>))
    if (k.toLowerCase() === name && typeof v === 'string') return v;
  return undefined;
}

function classifyStatus(code: number, body: unknown, headers: unknown): Failure {
  const s = statusBody(body);
  const message = s.message || `HTTP ${code}`;
  if (code === 409) return { kind: 'conflict', reason: s.reason, message };
  if (code === 404) return { kind: 'notFound', message };
  if (TRANSIENT_STATUS.has(code)) {
    const retryAfterMs = code === 429 || code === 503 ? parseRetryAfter(headerOf(headers, 'retry-after')) : undefined;
    return { kind: 'transient', label: String(code), retryAfterMs };
  }
  return { kind: 'error', status: code, reason: s.reason, message };
}

/**
 * Classifies what a client-node call threw: an ApiException (numeric `code`, a Status `body`), a
 * node-fetch FetchError (a socket `code`), or an abort, which is a timeout when `timedOut` says so.
 */
export function classifyFailure(e: unknown, timedOut: boolean): Failure {
  const err = (e && typeof e === 'object' ? e : {}) as {
    code?: unknown;
    body?: unknown;
    headers?: unknown;
    name?: unknown;
    type?: unknown;
    message?: unknown;
  };
  if (typeof err.code === 'number') return classifyStatus(err.code, err.body, err.headers);
  if (err.name === 'AbortError' || err.type === 'aborted') {
    return timedOut
      ? { kind: 'transient', label: 'timeout' }
      : { kind: 'error', status: 0, reason: 'Aborted', message: 'request aborted' };
  }
  const socketCode = typeof err.code === 'string' ? err.code : undefined;
  if (socketCode && TRANSIENT_SOCKET.has(socketCode)) return { kind: 'transient', label: socketCode };
  const message = typeof err.message === 'string' ? err.message : String(e);
  if (/socket hang up|ECONNRESET|other side closed/i.test(message)) return { kind: 'transient', label: 'ECONNRESET' };
  return { kind: 'error', status: 0, reason: socketCode ?? '', message };
}

/** The outcome a failure is counted under. */
export function outcomeOf(f: Failure): RequestOutcome {
  return f.kind;
}

/**
 * How long to wait after failed attempt number `attempt` (1-based) before the next: exponential back-off
 * with equal jitter, or the server's Retry-After when that is longer (capped by the policy).
 */
export function retryDelayMs(
  policy: RetryPolicy,
  attempt: number,
  retryAfterMs: number | undefined,
  random: () => number,
): number {
  const exp = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** (attempt - 1));
  const backoff = exp / 2 + random() * (exp / 2);
  if (retryAfterMs === undefined) return Math.round(backoff);
  return Math.round(Math.max(backoff, Math.min(retryAfterMs, policy.maxRetryAfterMs)));
}
