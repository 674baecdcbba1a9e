/**
 * A Ramp worker: takes reconcile jobs from the queue (any worker, any job), re-queues each rollout for
 * its next wake-up, sweeps now and then for active rollouts whose job went missing (a crash between a
 * commit and its enqueue), and prunes finished rollouts past their retention. Stateless: killing it
 * loses nothing.
 */
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { compilePlan } from '../plan/compile';
import { bindStrategy } from '../strategies/registry';
import type { EngineDeps } from './deps';
import { bullPrefix, delayJob, reconcileJobId, type ReconcileJobData } from './queue';
import { reconcile } from './reconcile';
import { isTerminal } from './record';
import type { PruneResult } from './store';

export interface RampWorkerOptions {
  deps: EngineDeps;
  /** A connection of its own: BullMQ workers block on theirs. */
  connection: Redis;
  prefix?: string;
  queueName?: string;
  concurrency?: number;
  /** How long a job's lock lasts without renewal; a killed worker's job is taken over after about this long. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  sweepIntervalMs?: number;
  /**
   * How long a finished rollout and its events are kept after its last change. Default 30 days; 0
   * keeps them forever. Each app's latest rollout is always kept.
   */
  retentionMs?: number;
  /** How often to prune. Default 10 minutes. */
  pruneIntervalMs?: number;
  /** Called after every reconcile with how long it took (benchmarks). */
  onReconcile?: (ms: number, result: string) => void;
}

export type RampWorkerState = 'idle' | 'running' | 'closing' | 'closed';

/** Reconciles before giving up on a job whose compare-and-set keeps losing (it is re-queued). */
const MAX_ROUNDS = 5;

export const DEFAULT_RETENTION_MS = 30 * 24 * 3_600_000;
const DEFAULT_PRUNE_INTERVAL_MS = 10 * 60_000;

export class RampWorker {
  private worker?: Worker<ReconcileJobData>;
  private sweeper?: NodeJS.Timeout;
  private pruner?: NodeJS.Timeout;
  private stateValue: RampWorkerState = 'idle';
  private closing?: Promise<void>;

  constructor(private readonly opts: RampWorkerOptions) {}

  get state(): RampWorkerState {
    return this.stateValue;
  }

  start(): void {
    if (this.stateValue !== 'idle') return;
    const o = this.opts;
    this.worker = new Worker<ReconcileJobData>(o.queueName ?? 'reconcile', (job, token) => this.process(job, token), {
      connection: o.connection,
      prefix: bullPrefix(o.prefix),
      concurrency: o.concurrency ?? 8,
      lockDuration: o.lockDurationMs ?? 30_000,
      stalledInterval: o.stalledIntervalMs ?? 30_000,
      // A job that stalled because its worker died is simply run again, however often that happens.
      maxStalledCount: 1000,
    });
    this.worker.on('failed', (job, err) =>
      o.deps.logger.error({ err, jobId: job?.id, rolloutId: job?.data.rolloutId }, 'reconcile failed'),
    );
    this.worker.on('error', (err) => o.deps.logger.error({ err }, 'worker error'));
    this.sweeper = setInterval(
      () => void this.sweep().catch((err) => o.deps.logger.warn({ err }, 'sweep failed')),
      o.sweepIntervalMs ?? 15_000,
    );
    this.sweeper.unref();
    if ((o.retentionMs ?? DEFAULT_RETENTION_MS) > 0) {
      const prune = () => void this.prune().catch((err) => o.deps.logger.warn({ err }, 'prune failed'));
      this.pruner = setInterval(prune, o.pruneIntervalMs ?? DEFAULT_PRUNE_INTERVAL_MS);
      this.pruner.unref();
      prune();
    }
    this.stateValue = 'running';
    void this.sweep().catch((err) => o.deps.logger.warn({ err }, 'sweep failed'));
  }

  /** One job: reconcile, then either hand over to the new version's job or come back to this one later. */
  private async process(job: Job<ReconcileJobData>, token?: string): Promise<void> {
    const { deps } = this.opts;
    const { rolloutId, version } = job.data;
    const due = job.timestamp + (job.opts.delay ?? 0);
    deps.metrics?.queueLagSeconds.observe(Math.max(0, Date.now() - due) / 1000);
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const started = performance.now();
      const r = await reconcile(deps, rolloutId, version);
      const ms = performance.now() - started;
      deps.metrics?.reconcileSeconds.observe(ms / 1000);
      deps.metrics?.reconciles.inc({ result: r.kind });
      this.opts.onReconcile?.(ms, r.kind);
      if (r.kind === 'missing') return;
      if (r.kind === 'stale') {
        // Make sure the version that moved on has its job (a crash may have lost it).
        await deps.queue.enqueue(rolloutId, r.currentVersion);
        return;
      }
      if (r.kind === 'conflict') {
        const current = await deps.store.get(rolloutId);
        if (current) await deps.queue.enqueue(rolloutId, current.version);
        return;
      }
      const delayMs = Math.max(0, r.requeueAt - deps.clock());
      if (r.record.version !== version) {
        if (Number.isFinite(r.requeueAt)) await deps.queue.enqueue(rolloutId, r.record.version, { delayMs });
        return;
      }
      if (Number.isFinite(r.requeueAt)) return delayJob(job, token, Date.now() + delayMs);
      return;
    }
  }

  /** Re-queues active rollouts that are due and have no job (the safety net for lost enqueues). */
  async sweep(): Promise<number> {
    const { deps } = this.opts;
    let added = 0;
    for (const id of await deps.store.listActiveIds()) {
      const r = await deps.store.get(id);
      if (!r || isTerminal(r.phase)) continue;
      const wake = bindStrategy(compilePlan(r.plan)).nextWakeup(r, deps.clock());
      if (!Number.isFinite(wake) && r.phase !== 'Pending') continue;
      const existing = await deps.queue.queue.getJob(reconcileJobId(id, r.version));
      if (existing) continue;
      await deps.queue.enqueue(id, r.version, {
        delayMs: Number.isFinite(wake) ? Math.max(0, wake - deps.clock()) : 0,
      });
      added++;
    }
    return added;
  }

  /** Deletes finished rollouts older than the retention (every worker may: deletions re-check atomically). */
  async prune(): Promise<PruneResult> {
    const { deps } = this.opts;
    const retentionMs = this.opts.retentionMs ?? DEFAULT_RETENTION_MS;
    if (retentionMs <= 0) return { deleted: 0, kept: 0, unreadable: 0 };
    const result = await deps.store.prune(deps.clock() - retentionMs);
    if (result.deleted > 0 || result.unreadable > 0)
      deps.logger.info({ ...result, retentionMs }, 'pruned finished rollouts');
    return result;
  }

  /** Stops taking jobs; waits for the ones in flight (or, with `force`, hands them back as stalled). Safe twice. */
  close(force = false): Promise<void> {
    if (this.closing) return this.closing;
    this.stateValue = 'closing';
    this.closing = (async () => {
      if (this.sweeper) clearInterval(this.sweeper);
      if (this.pruner) clearInterval(this.pruner);
      try {
        await this.worker?.close(force);
      } finally {
        this.stateValue = 'closed';
      }
    })();
    return this.closing;
  }
}
