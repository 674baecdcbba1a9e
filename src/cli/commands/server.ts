/**
 * `ramp server`: the rollout API over HTTP (and, with --worker, a reconcile worker in the same
 * process, for small set-ups and the demo). On SIGTERM it stops taking requests, ends event streams
 * (clients resume elsewhere with Last-Event-ID), lets requests in flight finish, then stops the worker.
 */
import { CliUsageError, PortInUseError } from '../../errors';
import type { Command } from 'commander';
import { addEngineOptions, engineFromFlags, type EngineFlags } from '../engineFlags';
import { StaticTokenAuthenticator } from '../../api/auth/staticTokens';
import { RampApiServer } from '../../api/server';
import type { Engine } from '../../engine/engine';
import { RampWorker } from '../../engine/worker';
import { DEFAULT_RETENTION, RETENTION_HELP, parseRetention } from '../retention';
import { createLogger, type Logger } from '../../observability/logger';
import { EngineMetrics } from '../../observability/metrics';

interface ServerFlags extends EngineFlags {
  port: string;
  host: string;
  tokensFile: string;
  openPaths: string;
  bodyLimit: string;
  worker?: boolean;
  concurrency: string;
  shutdownTimeout: string;
  retention: string;
}

function integer(v: string, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max)
    throw new CliUsageError(`${flag}: expected an integer ${min}–${max}, got "${v}"`);
  return n;
}

function openPaths(v: string): string[] {
  const paths = v
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const bad = paths.find((p) => !p.startsWith('/'));
  if (bad) throw new CliUsageError(`--open-paths: expected paths starting with /, got "${bad}"`);
  return paths;
}

async function listen(server: RampApiServer, port: number, host: string): Promise<string> {
  try {
    return await server.listen(port, host);
  } catch (err) {
    if ((err as { code?: string }).code === 'EADDRINUSE')
      throw new PortInUseError('ramp server', `${host}:${port}`, 'choose another with --port', { cause: err });
    throw err;
  }
}

function startWorker(
  engine: Engine,
  flags: ServerFlags,
  settings: { concurrency: number; retentionMs: number },
): RampWorker {
  const worker = new RampWorker({
    deps: engine.deps,
    connection: engine.workerConnection(),
    prefix: flags.prefix,
    queueName: flags.queue,
    ...settings,
  });
  worker.start();
  return worker;
}

/** Waits for SIGTERM or SIGINT, then shuts down in order; every step runs even if one before it fails. */
function untilSignal(logger: Logger, steps: [string, () => Promise<void>][]): Promise<void> {
  return new Promise((done) => {
    const stop = async (signal: string): Promise<void> => {
      logger.info({ signal }, 'server stopping');
      for (const [what, step] of steps) {
        try {
          await step();
        } catch (err) {
          logger.warn({ err, step: what }, 'shutdown step failed');
        }
      }
      done();
    };
    process.once('SIGTERM', () => void stop('SIGTERM'));
    process.once('SIGINT', () => void stop('SIGINT'));
  });
}

export function registerServer(program: Command): void {
  addEngineOptions(
    program.command('server').description('serve the rollout API (with --worker, also run reconciles in this process)'),
    'cluster for dry runs and --worker (default: $KUBECONFIG, then in-cluster)',
  )
    .requiredOption(
      '--tokens-file <path>',
      'bearer tokens: subject, namespaces and verbs per token (YAML)',
      process.env.RAMP_TOKENS_FILE,
    )
    .option('--port <port>', 'port to listen on (0: any free port)', process.env.RAMP_PORT ?? '8080')
    .option('--host <host>', 'address to listen on', '0.0.0.0')
    .option(
      '--open-paths <paths>',
      'comma-separated paths served without a token',
      '/healthz,/readyz,/metrics,/openapi.json',
    )
    .option('--body-limit <bytes>', 'largest request body', String(1024 * 1024))
    .option('--worker', 'also run a reconcile worker in this process')
    .option('--concurrency <n>', 'reconciles at once (with --worker)', '8')
    .option(
      '--shutdown-timeout <seconds>',
      'on SIGTERM, how long requests and the job in flight may take to finish',
      '10',
    )
    .option('--retention <duration>', `${RETENTION_HELP} (with --worker)`, DEFAULT_RETENTION)
    .action(async (flags: ServerFlags) => {
      const port = integer(flags.port, '--port', 0, 65535);
      const bodyLimit = integer(flags.bodyLimit, '--body-limit', 1);
      const shutdownMs = integer(flags.shutdownTimeout, '--shutdown-timeout', 0, 3600) * 1000;
      const paths = openPaths(flags.openPaths);
      const workerSettings = {
        concurrency: integer(flags.concurrency, '--concurrency', 1, 1000),
        retentionMs: parseRetention(flags.retention),
      };
      const authenticator = StaticTokenAuthenticator.fromFile(flags.tokensFile);
      const logger = createLogger({ name: 'ramp-server' });
      const metrics = new EngineMetrics({ defaultMetrics: true });
      const engine = engineFromFlags(flags, logger, metrics);
      const worker = flags.worker ? startWorker(engine, flags, workerSettings) : undefined;
      const server = new RampApiServer({
        deps: engine.deps,
        authenticator,
        logger,
        metrics,
        openPaths: paths,
        bodyLimit,
        drainMs: shutdownMs,
      });
      let url: string;
      try {
        url = await listen(server, port, flags.host);
      } catch (err) {
        await worker?.close(true);
        await engine.close();
        throw err;
      }
      logger.info({ url, tokens: authenticator.size, worker: !!worker, openPaths: paths }, 'server listening');
      await untilSignal(logger, [
        ['api', () => server.close()],
        [
          'worker',
          async () => {
            if (!worker) return;
            const force = setTimeout(() => void worker.close(true), shutdownMs);
            await worker.close().finally(() => clearTimeout(force));
          },
        ],
        ['engine', () => engine.close()],
      ]);
      logger.info('server stopped');
    });
}
