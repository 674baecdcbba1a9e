/**
 * What every API command needs to know before it talks to the server: where it is, the token, the
 * namespace and the output format — from flags first, then the environment, each refusal naming both.
 */
import { CliUsageError } from '../errors';
import type { Command } from 'commander';
import { parseDuration } from '../plan/duration';

/** What `-o` accepts: text for people, json and yaml (the API's objects) for scripts. */
export const OUTPUT_FORMATS = ['text', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The flags `addApiOptions` declares, as commander hands them over. */
export interface ApiFlags {
  server?: string;
  token?: string;
  namespace?: string;
  output?: string;
}

/** Where the API is and the token to show it. */
export interface Connection {
  /** The API's base URL without a trailing slash, e.g. `http://ramp:8080`. */
  server: string;
  token: string;
}

/** The namespace used when neither `-n` nor the plan names one. */
export const DEFAULT_NAMESPACE = 'default';

type Env = Readonly<Record<string, string | undefined>>;

/** Declares `--server`, `--token`, `-n/--namespace` and `-o/--output` on a command. */
export function addApiOptions(cmd: Command): Command {
  return cmd
    .option('--server <url>', 'the Ramp API (default: $RAMP_URL)')
    .option('--token <token>', 'bearer token for the API (default: $RAMP_TOKEN)')
    .option('-n, --namespace <namespace>', `namespace (default: the plan's, else ${DEFAULT_NAMESPACE})`)
    .option('-o, --output <format>', `output format: ${OUTPUT_FORMATS.join(', ')}`, 'text');
}

/** Server URL and token from flags, else RAMP_URL / RAMP_TOKEN; a CliUsageError naming both ways when one is missing. */
export function resolveConnection(flags: ApiFlags, env: Env = process.env): Connection {
  const server = nonEmpty(flags.server) ?? nonEmpty(env.RAMP_URL);
  if (!server) throw new CliUsageError('no Ramp API server given: pass --server URL or set RAMP_URL');
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new CliUsageError(`--server / RAMP_URL: expected a URL like http://ramp:8080, got "${server}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new CliUsageError(`--server / RAMP_URL: expected an http or https URL, got "${server}"`);
  const token = nonEmpty(flags.token) ?? nonEmpty(env.RAMP_TOKEN);
  if (!token) throw new CliUsageError('no API token given: pass --token TOKEN or set RAMP_TOKEN');
  return { server: server.replace(/\/+$/, ''), token };
}

/**
 * The namespace to act in: `-n`, else the plan's, else `default`. A plan that names another namespace
 * than `-n` is refused rather than silently moved.
 */
export function resolveNamespace(flag: string | undefined, planNamespace?: string): string {
  const given = nonEmpty(flag);
  if (given && planNamespace && given !== planNamespace) {
    throw new CliUsageError(
      `-n ${given} does not match the plan's metadata.namespace "${planNamespace}": drop -n or change the plan`,
    );
  }
  return given ?? planNamespace ?? DEFAULT_NAMESPACE;
}

/** `-o` checked against OUTPUT_FORMATS; CliUsageError otherwise. */
export function parseOutputFormat(value: string | undefined): OutputFormat {
  const v = value ?? 'text';
  if (!(OUTPUT_FORMATS as readonly string[]).includes(v))
    throw new CliUsageError(`-o/--output: expected one of ${OUTPUT_FORMATS.join(', ')}, got "${v}"`);
  return v as OutputFormat;
}

/** A `--timeout` value (`30s`, `30m`, `1h`) in milliseconds; undefined when not given. */
export function parseTimeout(value: string | undefined, flag = '--timeout'): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0)
    throw new CliUsageError(`${flag}: expected a duration like 90s, 30m or 1h, got "${value}"`);
  return ms;
}

function nonEmpty(v: string | undefined): string | undefined {
  const t = v?.trim();
  return t ? t : undefined;
}
