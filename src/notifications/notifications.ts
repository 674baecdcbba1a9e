/**
 * Notifications through the queue: a committed change's events become one BullMQ job per notifier that
 * wants them (job id = rollout, event and notifier, so a retried reconcile adds none twice), and a
 * NotificationWorker delivers them with retries and exponential back-off. A reconcile only adds jobs: a
 * slow or failing receiver delays no rollout.
 */
import { readFileSync } from 'node:fs';
import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RolloutEvent, RolloutRecord } from '../engine/record';
import { bullPrefix } from '../engine/queue';
import { notificationsConfigSchema, wants, type NotificationsConfig, type NotifierConfig } from './config';
import { notificationBody, signature, slackMessage, type NotificationBody } from './payload';

export const NOTIFY_QUEUE = 'notify';

interface NotifyJob {
  notifier: string;
  body: NotificationBody;
}

interface Options {
  config: NotificationsConfig;
  connection: Redis;
  prefix?: string;
  logger: Logger;
}

/** Notifiers by name, parsed once. */
function notifiers(config: NotificationsConfig): Map<string, NotifierConfig> {
  return new Map(notificationsConfigSchema.parse(config).notifiers.map((n) => [n.name, n]));
}

/** The producer side, used by reconciles. */
export class Notifications {
  private readonly notifiers: Map<string, NotifierConfig>;
  private readonly queue: Queue<NotifyJob>;

  constructor(private readonly opts: Options) {
    this.notifiers = notifiers(opts.config);
    this.queue = new Queue<NotifyJob>(NOTIFY_QUEUE, {
      connection: opts.connection,
      prefix: bullPrefix(opts.prefix),
      defaultJobOptions: { removeOnComplete: true, removeOnFail: { count: 1000 } },
    });
  }

  /** Queues the notifications of `events`, just committed on `record`. */
  async enqueue(record: RolloutRecord, events: readonly RolloutEvent[]): Promise<void> {
    const jobs = [];
    for (const event of events)
      for (const n of this.notifiers.values()) {
        if (!wants(n, record.namespace, event.type)) continue;
        const id = `${record.id}.${event.at}.${event.type}.${n.name}`;
        jobs.push({
          name: n.name,
          data: { notifier: n.name, body: notificationBody(record, event, id) },
          opts: { jobId: id, attempts: n.attempts, backoff: { type: 'exponential', delay: 1000 } },
        });
      }
    if (jobs.length) await this.queue.addBulk(jobs);
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

/** Why a delivery failed; BullMQ retries it. */
class DeliveryError extends Error {}

/** The consumer side: delivers queued notifications. Run it beside the reconcile worker. */
export class NotificationWorker {
  private readonly notifiers: Map<string, NotifierConfig>;
  private worker?: Worker<NotifyJob>;

  constructor(
    private readonly opts: Options & {
      concurrency?: number;
      /** Called after each delivery with the ms since the event (benchmarks, tests). */
      onDelivered?: (body: NotificationBody, ms: number) => void;
    },
  ) {
    this.notifiers = notifiers(opts.config);
  }

  start(): void {
    this.worker ??= new Worker<NotifyJob>(NOTIFY_QUEUE, (job) => this.deliver(job), {
      connection: this.opts.connection,
      prefix: bullPrefix(this.opts.prefix),
      concurrency: this.opts.concurrency ?? 16,
    });
    this.worker.on('failed', (job, err) =>
      this.opts.logger.warn(
        { notifier: job?.data.notifier, notification: job?.id, attempt: job?.attemptsMade, reason: err.message },
        'notification not delivered',
      ),
    );
    this.worker.on('error', (err) => this.opts.logger.error({ err }, 'notification worker error'));
  }

  private async deliver(job: Job<NotifyJob>): Promise<void> {
    const n = this.notifiers.get(job.data.notifier);
    // A notifier removed from the configuration since: nothing to deliver to.
    if (!n) return;
    const { body } = job.data;
    const target = n.webhook ?? n.slack;
    if (!target) return;
    const url = n.webhook?.url ?? n.slack?.url ?? readFileSync(n.slack?.urlFile ?? '', 'utf8').trim();
    const text = JSON.stringify(n.webhook ? body : slackMessage(body));
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'ramp' };
    if (n.webhook) {
      const timestamp = String(Math.floor(Date.now() / 1000));
      headers['x-ramp-event'] = body.event.type;
      headers['x-ramp-delivery'] = body.id;
      headers['x-ramp-timestamp'] = timestamp;
      if (n.webhook.secretFile)
        headers['x-ramp-signature'] = signature(readFileSync(n.webhook.secretFile, 'utf8').trim(), timestamp, text);
    }
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers,
        body: text,
        signal: AbortSignal.timeout(target.timeoutSeconds * 1000),
        redirect: 'error',
      });
      await res.body?.cancel();
    } catch (err) {
      throw new DeliveryError(`${n.name}: ${(err as Error).name === 'TimeoutError' ? 'timed out' : 'unreachable'}`);
    }
    if (!res.ok) throw new DeliveryError(`${n.name}: HTTP ${res.status}`);
    this.opts.onDelivered?.(body, Date.now() - Date.parse(body.event.at));
  }

  async close(): Promise<void> {
    await this.worker?.close();
  }
}
