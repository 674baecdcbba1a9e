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
import { sweepOrphans, type OrphanSweepResult } from './orphanSweep';
import { reconcile, type ReconcileResult } from './reconcile';
import { backoffMs, FAIL_SAFE_AFTER, isTransient, MAX_BACKOFF_MS, waitingOn } from './reconcileFailures';
import { userMessage } from '../errors';
import { failSafe } from '../strategies/lifecycle';
import { isTerminal } from './record';
import type { PruneResult } from './store';
import type { NotificationsConfig } from '../notifications/config';
import { NotificationWorker } from '../notifications/notifications';

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
  /** How often to look for ReplicaSets no rollout owns any more (a lost record). Default 30 s; 0: never. */
  orphanSweepIntervalMs?: number;
  /** The namespaces Ramp manages (the orphan sweep lists only these); default all. */
  namespaces?: readonly string[];
  /** The operator's notifiers: this worker also delivers queued notifications, on a connection of their own. */
  notifications?: { config: NotificationsConfig; connection: Redis };
  /** Called after every reconcile with how long it took (benchmarks). */
  onReconcile?: (ms: number, result: string) => void;
}

export type RampWorkerState = 'idle' | 'running' | 'closing' | 'closed';

export const DEFAULT_RETENTION_MS = 30 * 24 * 3_600_000;
const DEFAULT_PRUNE_INTERVAL_MS = 10 * 60_000;

export class RampWorker {
  private worker?: Worker<ReconcileJobData>;
  private sweeper?: NodeJS.Timeout;
  private pruner?: NodeJS.Timeout;
  private orphanSweeper?: NodeJS.Timeout;
  private notifier?: NotificationWorker;
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
    const orphansEvery = o.orphanSweepIntervalMs ?? 30_000;
    if (orphansEvery > 0) {
      const sweep = () => void this.sweepOrphans().catch((err) => o.deps.logger.warn({ err }, 'orphan sweep failed'));
      this.orphanSweeper = setInterval(sweep, orphansEvery);
      this.orphanSweeper.unref();
    }
    if (o.notifications) {
      const n = o.notifications;
      this.notifier = new NotificationWorker({ ...n, prefix: o.prefix, logger: o.deps.logger });
      this.notifier.start();
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
    const failing = await deps.store.failures(rolloutId);
    const started = performance.now();
    let r: ReconcileResult;
    try {
      r = await reconcile(deps, rolloutId, version, { outageSince: failing?.transientSince });
    } catch (err) {
      if (this.stateValue !== 'running') throw err;
      return this.failed(job, token, err);
    }
    const ms = performance.now() - started;
    deps.metrics?.reconcileSeconds.observe(ms / 1000);
    deps.metrics?.reconciles.inc({ result: r.kind });
    this.opts.onReconcile?.(ms, r.kind);
    // Only a reconcile that ran to the end counts: a stale or conflicting job did not get to the failing part.
    if (failing && r.kind === 'done') await this.recovered(rolloutId, failing.count);
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
  }

  /**
   * A reconcile threw. Transient failures come back after a capped back-off, for as long as they last;
   * others, a few in a row, make the rollout fail safe. Either way the rollout's events say so (once per
   * distinct cause), and the job is never handed to BullMQ's retries, which give up. The tally is kept
   * per rollout in Redis: the record may move on between failures, and any worker may take the next try.
   */
  private async failed(job: Job<ReconcileJobData>, token: string | undefined, err: unknown): Promise<void> {
    const { deps } = this.opts;
    const { rolloutId } = job.data;
    const transient = isTransient(err);
    const why = userMessage(err);
    const note = transient
      ? `waiting for ${waitingOn(err)}: ${why}; trying again (every ${MAX_BACKOFF_MS / 1000} s at most) while it lasts`
      : `a reconcile failed: ${why}`;
    deps.metrics?.reconciles.inc({ result: transient ? 'transient' : 'error' });
    const tally = await deps.store.recordFailure(rolloutId, note, transient);
    deps.logger.warn({ err, rolloutId, failures: tally.count, transient }, 'reconcile failed');
    if (note !== tally.previousNote) await this.tell(rolloutId, note);
    if (!transient && tally.count >= FAIL_SAFE_AFTER && (await this.failSafe(rolloutId, why))) return;
    return delayJob(job, token, Date.now() + backoffMs(tally.count));
  }

  /** After failures, a reconcile went through: say so once, and start counting afresh. */
  private async recovered(rolloutId: string, failures: number): Promise<void> {
    await this.opts.deps.store.clearFailures(rolloutId);
    await this.tell(rolloutId, `going on: a reconcile went through after ${failures} that failed`);
  }

  /** Moves the rollout to a safe rollback (false when it is already rolling back or finished: then retrying is all there is). */
  private async failSafe(rolloutId: string, why: string): Promise<boolean> {
    const { deps } = this.opts;
    try {
      const committed = await deps.store.mutate(rolloutId, (r) =>
        isTerminal(r.phase) || r.phase === 'RollingBack'
          ? undefined
          : failSafe(r, `Ramp cannot carry the rollout on: ${why}`, deps.clock()),
      );
      if (committed.phase !== 'RollingBack') return false;
      await deps.queue.enqueue(rolloutId, committed.version);
      return true;
    } catch (err) {
      deps.logger.error({ err, rolloutId }, 'could not fail the rollout safe');
      return false;
    }
  }

  /** A Warning event on the rollout (best effort: the failure may be Redis itself). */
  private async tell(rolloutId: string, message: string): Promise<void> {
    const { deps } = this.opts;
    await deps.events
      .append(rolloutId, { at: deps.clock(), type: 'Warning', message })
      .catch((err: unknown) => deps.logger.warn({ err, rolloutId }, 'could not append an event'));
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
      // A job still waiting, delayed or running will do; one that failed for good (BullMQ gave up) will not.
      const state = await deps.queue.queue.getJobState(reconcileJobId(id, r.version));
      if (state !== 'unknown' && state !== 'failed' && state !== 'completed') continue;
      await deps.queue.enqueue(id, r.version, {
        delayMs: Number.isFinite(wake) ? Math.max(0, wake - deps.clock()) : 0,
      });
      added++;
    }
    return added;
  }

  /** Takes back ReplicaSets whose rollout's record is gone: traffic to stable, then their pods. */
  sweepOrphans(): Promise<OrphanSweepResult> {
    return sweepOrphans(this.opts.deps, this.opts.namespaces);
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
      if (this.orphanSweeper) clearInterval(this.orphanSweeper);
      try {
        await Promise.all([this.worker?.close(force), this.notifier?.close()]);
      } finally {
        this.stateValue = 'closed';
      }
    })();
    return this.closing;
  }
}
