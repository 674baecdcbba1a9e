/**
 * The flags `ramp server` and `ramp worker` share to reach Redis, the cluster and the metric providers,
 * and to set the pod policy, and the engine built from them: one definition, so the two cannot drift
 * apart (the server checks plans against the same policy the worker checks ReplicaSets against).
 */
import { CliUsageError } from '../errors';
import { Option, type Command } from 'commander';
import { providersConfigSchema } from '../analysis/providers/registry';
import { createEngine, type Engine } from '../engine/engine';
import type { RampWorkerOptions } from '../engine/worker';
import type { Logger } from '../observability/logger';
import type { EngineMetrics } from '../observability/metrics';
import { readConfigFile } from './configFile';
import { notificationsConfigSchema } from '../notifications/config';
import { PodPolicy, podPolicyConfigSchema } from '../policy/podPolicy';
import { POD_SECURITY_LEVELS, type PodSecurityLevel } from '../policy/podSecurity';

export interface EngineFlags {
  redisUrl: string;
  kubeconfig?: string;
  prometheusUrl?: string;
  providersFile?: string;
  podSecurity: string;
  podPolicyFile?: string;
  notificationsFile?: string;
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
    .addOption(
      new Option(
        '--pod-security <level>',
        "the Pod Security Standards level plans' pod templates must meet where the policy file names none",
      )
        .choices(POD_SECURITY_LEVELS)
        .default(process.env.RAMP_POD_SECURITY ?? 'baseline'),
    )
    .option(
      '--pod-policy-file <path>',
      'the pod policy per namespace (YAML: level, serviceAccounts, namespaces: {ns: {level, serviceAccounts}})',
      process.env.RAMP_POD_POLICY_FILE,
    )
    .option(
      '--notifications-file <path>',
      'where to tell of rollouts (YAML: notifiers: [{name, webhook: {url, secretFile} | slack: {url | urlFile}, namespaces, events}])',
      process.env.RAMP_NOTIFICATIONS_FILE,
    )
    .option('--prefix <prefix>', 'Redis key prefix', 'ramp')
    .option('--queue <name>', 'queue name', 'reconcile');
}

/** The pod policy the flags describe (a bad file is bad input, naming the field). */
export function podPolicyFromFlags(flags: Pick<EngineFlags, 'podSecurity' | 'podPolicyFile'>): PodPolicy {
  if (!(POD_SECURITY_LEVELS as readonly string[]).includes(flags.podSecurity))
    throw new CliUsageError(
      `--pod-security: expected one of ${POD_SECURITY_LEVELS.join(', ')}, got "${flags.podSecurity}"`,
    );
  const file = flags.podPolicyFile
    ? readConfigFile(flags.podPolicyFile, '--pod-policy-file', podPolicyConfigSchema)
    : {};
  return new PodPolicy(file, flags.podSecurity as PodSecurityLevel);
}

/** The worker's share of the notifiers the engine was given: a connection of their own to deliver on. */
export function notificationsOf(engine: Engine): Pick<RampWorkerOptions, 'notifications'> {
  const config = engine.config.notifications;
  return config ? { notifications: { config, connection: engine.workerConnection() } } : {};
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
    podPolicy: podPolicyFromFlags(flags),
    notifications: flags.notificationsFile
      ? readConfigFile(flags.notificationsFile, '--notifications-file', notificationsConfigSchema)
      : undefined,
    prefix: flags.prefix,
    queueName: flags.queue,
    logger,
    metrics,
  });
}
