/**
 * The demo app as a process (the `ramp.dev/demo-app` image): settings from the environment, graceful
 * shutdown on SIGTERM, a deliberate exit after EXIT_AFTER_MS (crash-loop tests), and an exit of its
 * own when its parent dies, so no demo app outlives a killed sandbox.
 */
import { createDemoApp } from './app';
import { startupFromEnv, type DemoStartup } from './config';

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}

async function main(): Promise<void> {
  let startup: DemoStartup;
  try {
    // The image tag (passed by the sandbox's image registry) is the version unless VERSION says otherwise.
    const tag = process.argv.find((a) => a.startsWith('--default-version='))?.slice('--default-version='.length);
    startup = startupFromEnv({ ...(tag ? { VERSION: tag } : {}), ...process.env });
  } catch (e) {
    process.stderr.write(`demo-app: ${(e as Error).message}\n`);
    process.exit(1);
  }
  const app = createDemoApp({
    config: startup.config,
    podName: startup.podName,
    seed: startup.seed,
    defaultMetrics: true,
    log,
  });
  const stop = (signal: string): void => {
    log(`${signal}: shutting down`);
    void app.close().then(() => {
      log('stopped');
      process.exit(0);
    });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));

  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) {
      log(`parent ${parent} is gone: exiting`);
      process.exit(0);
    }
  }, 1000).unref();

  if (startup.exitAfterMs !== undefined) {
    setTimeout(() => {
      log(`exiting with code ${startup.exitCode} after ${startup.exitAfterMs} ms (EXIT_AFTER_MS)`);
      process.exit(startup.exitCode);
    }, startup.exitAfterMs).unref();
  }

  try {
    const addr = await app.listen(startup.port, startup.host);
    log(
      `demo-app ${startup.config.version} listening on ${addr.address}:${addr.port} pod=${startup.podName || '-'} seed=${startup.seed}`,
    );
  } catch (e) {
    process.stderr.write(`demo-app: cannot listen on ${startup.host}:${startup.port}: ${(e as Error).message}\n`);
    process.exit(1);
  }
}

void main();
