/** What a worker makes of a reconcile that threw: transient or not, and how long it waits before trying again. */
import { KubeConflictError, KubeRequestError, KubeTransientError } from '../../../src/errors';
import { backoffMs, isTransient, MAX_BACKOFF_MS, waitingOn } from '../../../src/engine/reconcileFailures';

describe('reconcile failures', () => {
  it('takes what passes by itself as transient, and nothing else', () => {
    expect(isTransient(new KubeTransientError('get', 'replicasets', 3, '500'))).toBe(true);
    expect(isTransient(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }))).toBe(
      true,
    );
    expect(isTransient(new Error('Connection is closed.'))).toBe(true);
    expect(isTransient(new KubeConflictError('update', 'httproutes', 'Conflict', 'conflict'))).toBe(false);
    expect(isTransient(new KubeRequestError('create', 'replicasets', 403, 'Forbidden', 'forbidden'))).toBe(false);
    expect(isTransient(new TypeError('x is undefined'))).toBe(false);
    expect(waitingOn(new KubeTransientError('get', 'replicasets', 3, '500'))).toBe('the Kubernetes API');
  });

  it('backs off 1 s, 2 s, 4 s … and never past 30 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 50].map(backoffMs)).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(MAX_BACKOFF_MS).toBe(30_000);
  });
});
