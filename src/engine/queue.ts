/**
 * The reconcile queue: one BullMQ queue of `reconcile(rolloutId)` jobs that any worker may take.
 * Job ids are `<rolloutId>.<version>`, so enqueueing the same step twice makes one job; completed
 * jobs are removed at once, because BullMQ silently ignores `add` of an id it still holds and a timer
 * for the same version must be able to fire again.
 */
import { ClosedError, InvalidJobIdError, InvalidOptionError } from '../errors';
import { DelayedError, Queue, type Job } from 'bullmq';
import { resolvePrefix, type RedisContext } from './redisConnection';

/** What a reconcile job carries: which rollout, and the record version it was enqueued for. */
export interface ReconcileJobData {
  rolloutId: string;
  version: number;
}

export const DEFAULT_QUEUE_NAME = 'reconcile';
const JOB_NAME = 'reconcile';

export interface ReconcileQueueOptions extends RedisContext {
  /** The BullMQ queue name (tests use unique ones). Default `reconcile`. */
  name?: string;
  /** Runs per job before it fails for good (the first run included). Default 5. */
  attempts?: number;
  /** The first retry's delay; each next one doubles (ms). Default 1000. */
  backoffMs?: number;
  /** Failed jobs kept for inspection, newest first. Default 1000. */
  failedKept?: number;
}

export type ReconcileQueueState = 'open' | 'closing' | 'closed';

/** The BullMQ key prefix for a Ramp key prefix: queues live beside the store's keys, never among them. */
export function bullPrefix(prefix?: string): string {
  return `${resolvePrefix(prefix)}:queue`;
}

/** The deterministic job id of a reconcile of `rolloutId` at `version`; refuses what BullMQ would. */
export function reconcileJobId(rolloutId: string, version: number): string {
  if (rolloutId === '') throw new InvalidJobIdError(rolloutId, 'the rollout id is empty');
  if (rolloutId.includes(':')) throw new InvalidJobIdError(rolloutId, 'BullMQ refuses ":" in job ids');
  if (!Number.isSafeInteger(version) || version < 0)
    throw new InvalidJobIdError(`${rolloutId}.${version}`, 'the version must be a non-negative integer');
  return `${rolloutId}.${version}`;
}

/** The rollout id and version a reconcile job id names (the inverse of reconcileJobId). */
export function parseReconcileJobId(jobId: string): ReconcileJobData {
  const dot = jobId.lastIndexOf('.');
  const version = Number(jobId.slice(dot + 1));
  if (dot <= 0 || !/^\d+$/.test(jobId.slice(dot + 1)) || !Number.isSafeInteger(version))
    throw new InvalidJobIdError(jobId, 'expected <rolloutId>.<version>');
  return { rolloutId: jobId.slice(0, dot), version };
}

/**
 * From inside a processor: re-run this same job (same id) at `atMs` instead of completing it, without
 * spending an attempt. Never returns: it throws BullMQ's DelayedError, which the processor must let
 * through (`return delayJob(job, token, at)`), so the worker neither completes nor fails the job.
 */
export async function delayJob(job: Job, token: string | undefined, atMs: number): Promise<never> {
  if (token === undefined)
    throw new InvalidOptionError('token', 'moving an active job needs the lock token the processor was given');
  await job.moveToDelayed(atMs, token);
  throw new DelayedError(`re-run at ${new Date(atMs).toISOString()}`);
}

/** Enqueues reconcile jobs. Owns its BullMQ Queue (not the connection, which stays the caller's). */
export class ReconcileQueue {
  readonly name: string;
  /** The BullMQ prefix (a Worker of this queue needs the same one). */
  readonly prefix: string;
  readonly queue: Queue<ReconcileJobData>;
  private currentState: ReconcileQueueState = 'open';
  private closing: Promise<void> | undefined;

  constructor(options: ReconcileQueueOptions) {
    this.name = options.name ?? DEFAULT_QUEUE_NAME;
    this.prefix = bullPrefix(options.prefix);
    const attempts = positiveInteger('attempts', options.attempts ?? 5);
    const backoffMs = positiveInteger('backoffMs', options.backoffMs ?? 1000);
    const failedKept = positiveInteger('failedKept', options.failedKept ?? 1000);
    this.queue = new Queue<ReconcileJobData>(this.name, {
      connection: options.connection,
      prefix: this.prefix,
      defaultJobOptions: {
        attempts,
        backoff: { type: 'exponential', delay: backoffMs },
        removeOnComplete: true,
        removeOnFail: { count: failedKept },
      },
    });
  }

  get state(): ReconcileQueueState {
    return this.currentState;
  }

  /**
   * Makes sure a reconcile of (rolloutId, version) is queued, to run after `delayMs` (default now);
   * returns its job id. A job with that id already waiting, delayed or running absorbs the call. A
   * job that failed for good is replaced: otherwise nothing would ever reconcile that version again.
   */
  async enqueue(rolloutId: string, version: number, options: { delayMs?: number } = {}): Promise<string> {
    if (this.currentState !== 'open') throw new ClosedError(`reconcile queue ${this.name}`);
    const jobId = reconcileJobId(rolloutId, version);
    const delay = options.delayMs ?? 0;
    if (!Number.isFinite(delay) || delay < 0)
      throw new InvalidOptionError('delayMs', `expected a duration ≥ 0 ms, got ${delay}`);
    const add = (): Promise<unknown> =>
      this.queue.add(JOB_NAME, { rolloutId, version }, { jobId, delay: Math.round(delay) });
    await add();
    if ((await this.queue.getJobState(jobId)) === 'failed') {
      await this.queue.remove(jobId);
      await add();
    }
    return jobId;
  }

  /** Closes the BullMQ queue; safe to call twice (returns the close in progress). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.currentState = 'closing';
      try {
        // Closing while BullMQ still sets up its connection makes it throw "Connection is closed" later, unhandled.
        await this.queue.waitUntilReady().catch(() => undefined);
        await this.queue.close();
      } finally {
        this.currentState = 'closed';
      }
    })();
    return this.closing;
  }
}

function positiveInteger(option: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new InvalidOptionError(option, `expected a positive integer, got ${value}`);
  return value;
}
