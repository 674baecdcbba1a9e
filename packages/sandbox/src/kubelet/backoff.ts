/**
 * The kubelet's per-key exponential back-off (client-go's flowcontrol.Backoff as the kubelet uses it):
 * the first restart is immediate, the next waits `initialMs`, then twice as long each time up to
 * `maxMs`; an entry untouched for twice `maxMs` starts over. Pure: every method takes the clock.
 */

/** Back-off durations in milliseconds. Kubernetes: 10 s doubling to 300 s. */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
}

/** The kubelet's crash-loop and image-pull back-off (10 s → 5 min). */
export const KUBERNETES_BACKOFF: BackoffPolicy = { initialMs: 10_000, maxMs: 300_000 };

interface Entry {
  durationMs: number;
  lastUpdate: number;
}

/** Back-off state for many keys (one per container of a pod, or per image). */
export class Backoff {
  private readonly entries = new Map<string, Entry>();

  constructor(readonly policy: BackoffPolicy) {}

  private expired(entry: Entry, at: number): boolean {
    return at - entry.lastUpdate > this.policy.maxMs * 2;
  }

  /** The current back-off of `key` in ms (0 when it has none). */
  get(key: string): number {
    return this.entries.get(key)?.durationMs ?? 0;
  }

  /**
   * Records a restart decided at `eventTime` (the kubelet passes the exit time of the failed
   * container): starts the entry at `initialMs`, or doubles it up to `maxMs`.
   */
  next(key: string, eventTime: number): void {
    const entry = this.entries.get(key);
    if (!entry || this.expired(entry, eventTime)) {
      this.entries.set(key, { durationMs: this.policy.initialMs, lastUpdate: eventTime });
      return;
    }
    entry.durationMs = Math.min(entry.durationMs * 2, this.policy.maxMs);
    entry.lastUpdate = eventTime;
  }

  /** True while `now` is within the back-off that started at `eventTime`. */
  inBackOffSince(key: string, eventTime: number, now: number): boolean {
    const entry = this.entries.get(key);
    if (!entry || this.expired(entry, now)) return false;
    return now - eventTime < entry.durationMs;
  }

  /** When the back-off that started at `eventTime` ends (eventTime itself when there is none). */
  endsAt(key: string, eventTime: number): number {
    return eventTime + this.get(key);
  }

  /** Forgets `key` (its pod is gone). */
  reset(key: string): void {
    this.entries.delete(key);
  }

  /** Forgets every key starting with `prefix`. */
  resetPrefix(prefix: string): void {
    for (const k of this.entries.keys()) if (k.startsWith(prefix)) this.entries.delete(k);
  }
}

/** A duration as Go's time.Duration prints it ("10s", "2m40s", "5m0s", "250ms"), as kubelet messages show. */
export function formatGoDuration(ms: number): string {
  if (ms <= 0) return '0s';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const totalSeconds = ms / 1000;
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = +(totalSeconds % 60).toFixed(3);
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}
