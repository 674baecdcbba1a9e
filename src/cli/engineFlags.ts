/**
 * The flags `ramp server` and `ramp worker` share to reach Redis, the cluster and the metric providers,
 * and the engine built from them: one definition, so the two cannot drift apart.
 */
import type { Command } from 'commander';
import { providersConfigSchema } from '../analysis/providers/registry';
import { createEngine, type Engine } from '../engine/engine';
import type { Logger } from '../observability/logger';
import type { EngineMetrics } from '../observability/metrics';
import { readConfigFile } from './configFile';

export interface EngineFlags {
  redisUrl: string;
  kubeconfig?: string;
  prometheusUrl?: string;
  providersFile?: string;
  prefix: string;
  queue: string;
}

/** Adds the engine's flags to a command; `kubeconfigHelp` says what the command does with the cluster. */
export function addEngineOptions(command: Command, kubeconfigHelp: string): Command {
  return command
    .option(
      '--redis-url <url>',
      'Redis holding rollouts and the queue',
      process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    )
    .option('--kubeconfig <path>', kubeconfigHelp)
    .option(
      '--prometheus-url <url>',
      'one metric provider, named prometheus: the Prometheus at this URL',
      process.env.RAMP_PROMETHEUS_URL,
    )
    .option(
      '--providers-file <path>',
      'the metric providers plans may name (YAML: providers: [{name, prometheus: {address, …}}], default)',
      process.env.RAMP_PROVIDERS_FILE,
    )
    .option('--prefix <prefix>', 'Redis key prefix', 'ramp')
    .option('--queue <name>', 'queue name', 'reconcile');
}

/** The engine the flags describe (a bad providers file is bad input, naming the field). */
export function engineFromFlags(flags: EngineFlags, logger: Logger, metrics: EngineMetrics): Engine {
  return createEngine({
    redisUrl: flags.redisUrl,
    kubeconfig: flags.kubeconfig,
    prometheusUrl: flags.prometheusUrl,
    providers: flags.providersFile
      ? readConfigFile(flags.providersFile, '--providers-file', providersConfigSchema)
      : undefined,
    prefix: flags.prefix,
    queueName: flags.queue,
    logger,
    metrics,
  });
}
