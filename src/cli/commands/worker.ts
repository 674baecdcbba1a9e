/** `ramp worker`: runs reconcile jobs until SIGTERM, then finishes (or hands back) the job in flight. */
import { CliUsageError, PortInUseError } from '../../errors';
import type { Command } from 'commander';
import {
  addEngineOptions,
  engineFromFlags,
  namespacesFromFlags,
  notificationsOf,
  type EngineFlags,
} from '../engineFlags';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RampWorker } from '../../engine/worker';
import { createLogger } from '../../observability/logger';
import { EngineMetrics } from '../../observability/metrics';
import { DEFAULT_RETENTION, RETENTION_HELP, parseRetention } from '../retention';

interface WorkerFlags extends EngineFlags {
  concurrency: string;
  metricsPort?: string;
  shutdownTimeout: string;
  lockDuration: string;
  retention: string;
}

function positiveInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new CliUsageError(`${flag}: expected a positive integer, got "${v}"`);
  return n;
}

export function registerWorker(program: Command): void {
  addEngineOptions(
    program.command('worker').description('run rollout reconciles from the queue (run as many as you like)'),
    'cluster to act on (default: $KUBECONFIG, then in-cluster)',
  )
    .option('--concurrency <n>', 'reconciles at once', '8')
    .option('--metrics-port <port>', 'serve /metrics and /healthz on this port')
    .option(
      '--shutdown-timeout <seconds>',
      'on SIGTERM, wait this long for the job in flight before handing it back',
      '30',
    )
    .option('--lock-duration <ms>', "a dead worker's job is taken over after about this long", '30000')
    .option('--retention <duration>', RETENTION_HELP, DEFAULT_RETENTION)
    .action(async (flags: WorkerFlags) => {
      const concurrency = positiveInt(flags.concurrency, '--concurrency');
      const shutdownMs = positiveInt(flags.shutdownTimeout, '--shutdown-timeout') * 1000;
      const lockDurationMs = positiveInt(flags.lockDuration, '--lock-duration');
      const retentionMs = parseRetention(flags.retention);
      const namespaces = namespacesFromFlags(flags);
      const logger = createLogger({ name: 'ramp-worker' });
      const metrics = new EngineMetrics({ defaultMetrics: true });
      const engine = engineFromFlags(flags, logger, metrics);
      const worker = new RampWorker({
        deps: engine.deps,
        connection: engine.workerConnection(),
        prefix: flags.prefix,
        queueName: flags.queue,
        concurrency,
        lockDurationMs,
        stalledIntervalMs: Math.max(500, Math.floor(lockDurationMs / 2)),
        sweepIntervalMs: Math.max(1000, lockDurationMs),
        retentionMs,
        ...notificationsOf(engine),
        namespaces,
      });
      // Listen before taking jobs: a taken port is an error that names the flag, with no job taken.
      const server =
        flags.metricsPort === undefined ? undefined : await serveHealth(worker, metrics, flags.metricsPort);
      worker.start();
      logger.info({ concurrency, queue: flags.queue, metrics: server?.url }, 'worker started');
      await new Promise<void>((done) => {
        const stop = (signal: string): void => {
          logger.info({ signal }, 'worker stopping');
          const force = setTimeout(() => void worker.close(true), shutdownMs);
          // A connection that fails while closing must not turn a clean stop into a crash (exit 1): it is
          // told, and the stop goes on.
          const told = (what: string) => (err: unknown) => logger.warn({ err }, `${what} did not close cleanly`);
          void worker
            .close()
            .catch(told('the worker'))
            .finally(() => clearTimeout(force))
            .then(() => engine.close().catch(told('the engine')))
            .then(() => {
              server?.server.close();
              done();
            });
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
      logger.info('worker stopped');
    });
}

/** /healthz (503 once the worker stops taking jobs, so a liveness probe sees it) and /metrics. */
async function serveHealth(
  worker: RampWorker,
  metrics: EngineMetrics,
  portFlag: string,
): Promise<{ server: Server; url: string }> {
  const port = Number(portFlag);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new CliUsageError(`--metrics-port: expected a port number from 0 to 65535, got "${portFlag}"`);
  const server = createServer((req, res) => {
    if (req.url === '/healthz')
      return void (worker.state === 'running' ? res.end('ok') : res.writeHead(503).end(worker.state));
    if (req.url === '/metrics')
      return void metrics.registry
        .metrics()
        .then((t) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(t));
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new PortInUseError('ramp worker', `0.0.0.0:${port}`, 'choose another with --metrics-port', { cause: err })
          : err,
      ),
    );
    server.listen(port, '0.0.0.0', resolve);
  });
  return { server, url: `http://0.0.0.0:${(server.address() as AddressInfo).port}` };
}
