/**
 * `ramp server`: the rollout API over HTTP or HTTPS (and, with --worker, a reconcile worker in the same
 * process, for small set-ups and the demo). It listens on 127.0.0.1 unless --host says otherwise (the
 * Helm chart sets 0.0.0.0), and serves TLS with --tls-cert/--tls-key, read again when they change. On
 * SIGTERM it stops taking requests, ends event streams (clients resume elsewhere with Last-Event-ID),
 * lets requests in flight finish, then stops the worker.
 */
import { CliUsageError, PortInUseError } from '../../errors';
import type { Command } from 'commander';
import { addEngineOptions, engineFromFlags, notificationsOf, type EngineFlags } from '../engineFlags';
import { StaticTokenAuthenticator } from '../../api/auth/staticTokens';
import { RampApiServer, type TlsFiles } from '../../api/server';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
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
  tlsCert?: string;
  tlsKey?: string;
  maxStreamsPerToken: string;
  maxStreams: string;
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

/** The TLS flags, checked now: files that cannot be read or do not make a key pair are bad input, not a crash. */
function tlsFiles(flags: ServerFlags): TlsFiles | undefined {
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined))
    throw new CliUsageError('--tls-cert and --tls-key go together: give both, or neither for plain HTTP');
  if (!flags.tlsCert || !flags.tlsKey) return undefined;
  try {
    createSecureContext({ cert: readFileSync(flags.tlsCert), key: readFileSync(flags.tlsKey) });
  } catch (err) {
    throw new CliUsageError(`--tls-cert/--tls-key: ${(err as Error).message}`, { cause: err });
  }
  return { certFile: flags.tlsCert, keyFile: flags.tlsKey };
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
    ...notificationsOf(engine),
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
    .option('--host <host>', 'address to listen on (0.0.0.0: every interface)', process.env.RAMP_HOST ?? '127.0.0.1')
    .option('--tls-cert <path>', 'serve HTTPS with this certificate (PEM, with its chain); reloaded when it changes')
    .option('--tls-key <path>', "the certificate's private key (PEM); reloaded when it changes")
    .option('--max-streams-per-token <n>', 'event streams one token may hold open at once', '100')
    .option('--max-streams <n>', 'event streams the server holds open at once', '5000')
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
      const tls = tlsFiles(flags);
      const streamLimits = {
        perToken: integer(flags.maxStreamsPerToken, '--max-streams-per-token', 1, 1_000_000),
        total: integer(flags.maxStreams, '--max-streams', 1, 1_000_000),
      };
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
        tls,
        streamLimits,
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
