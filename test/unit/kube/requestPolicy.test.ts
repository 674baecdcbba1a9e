import { classifyFailure, DEFAULT_RETRY_POLICY, parseRetryAfter, retryDelayMs } from '../../../src/kube/requestPolicy';

function apiException(code: number, body: unknown, headers: Record<string, string> = {}): unknown {
  return Object.assign(new Error(`HTTP-Code: ${code}`), { code, body: JSON.stringify(body), headers });
}

describe('classifyFailure', () => {
  it.each([429, 500, 502, 503, 504])('calls HTTP %i transient', (code) => {
    expect(classifyFailure(apiException(code, { kind: 'Status' }), false)).toMatchObject({
      kind: 'transient',
      label: String(code),
    });
  });

  it('reads Retry-After on 429', () => {
    expect(classifyFailure(apiException(429, {}, { 'retry-after': '2' }), false)).toEqual({
      kind: 'transient',
      label: '429',
      retryAfterMs: 2000,
    });
  });

  it('calls 409 a conflict with the Status reason, and 404 not found', () => {
    expect(
      classifyFailure(apiException(409, { reason: 'AlreadyExists', message: 'replicasets "a" already exists' }), false),
    ).toEqual({
      kind: 'conflict',
      reason: 'AlreadyExists',
      message: 'replicasets "a" already exists',
    });
    expect(classifyFailure(apiException(404, { reason: 'NotFound', message: 'nope' }), false)).toEqual({
      kind: 'notFound',
      message: 'nope',
    });
  });

  it('calls 422 and 403 errors, keeping the API server message', () => {
    expect(
      classifyFailure(apiException(422, { reason: 'Invalid', message: 'spec.replicas: Invalid value' }), false),
    ).toEqual({
      kind: 'error',
      status: 422,
      reason: 'Invalid',
      message: 'spec.replicas: Invalid value',
    });
    expect(classifyFailure(apiException(403, 'forbidden, not JSON'), false)).toMatchObject({
      kind: 'error',
      status: 403,
    });
  });

  it('calls refused or reset connections transient, and an abort a timeout only when the timer fired', () => {
    expect(
      classifyFailure(
        Object.assign(new Error('connect ECONNREFUSED'), { name: 'FetchError', type: 'system', code: 'ECONNREFUSED' }),
        false,
      ),
    ).toEqual({ kind: 'transient', label: 'ECONNREFUSED' });
    expect(classifyFailure(new Error('socket hang up'), false)).toEqual({ kind: 'transient', label: 'ECONNRESET' });
    const abort = Object.assign(new Error('The operation was aborted.'), { name: 'AbortError', type: 'aborted' });
    expect(classifyFailure(abort, true)).toEqual({ kind: 'transient', label: 'timeout' });
    expect(classifyFailure(abort, false)).toMatchObject({ kind: 'error' });
  });

  it('calls other errors errors', () => {
    expect(classifyFailure(new Error('self-signed certificate'), false)).toMatchObject({
      kind: 'error',
      status: 0,
      message: 'self-signed certificate',
    });
  });
});

describe('retry timing', () => {
  it('parses Retry-After seconds and dates', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it('backs off exponentially with jitter inside [d/2, d], capped', () => {
    const p = { ...DEFAULT_RETRY_POLICY, initialBackoffMs: 100, maxBackoffMs: 1000 };
    expect(retryDelayMs(p, 1, undefined, () => 0)).toBe(50);
    expect(retryDelayMs(p, 1, undefined, () => 0.999999)).toBe(100);
    expect(retryDelayMs(p, 3, undefined, () => 0)).toBe(200);
    expect(retryDelayMs(p, 10, undefined, () => 0.999999)).toBe(1000);
  });

  it('waits at least Retry-After, but no longer than the cap', () => {
    const p = { ...DEFAULT_RETRY_POLICY, initialBackoffMs: 100, maxRetryAfterMs: 5000 };
    expect(retryDelayMs(p, 1, 2000, () => 0)).toBe(2000);
    expect(retryDelayMs(p, 1, 60_000, () => 0)).toBe(5000);
  });
});
