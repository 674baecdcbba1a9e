/**
 * The demo app's settings: from environment variables at start, changed at run time through
 * POST /admin/config. One schema per source, both validated with zod.
 */
import { z } from 'zod';
import { seedFromString } from '../util/random';

/** What a request sees; changeable at run time. */
export interface DemoConfig {
  version: string;
  /** Probability (0..1) that a request answers 500. */
  errorRate: number;
  /** Mean latency in ms. */
  latencyMs: number;
  /** Lognormal shape of the latency (0 = constant). */
  latencyJitter: number;
  /** Whether /readyz answers 200. */
  ready: boolean;
}

/** Body of POST /admin/config: any subset of the run-time settings; unknown fields are refused. */
export const configPatchSchema = z
  .object({
    errorRate: z.number().min(0).max(1).optional(),
    latencyMs: z.number().min(0).max(600_000).optional(),
    latencyJitter: z.number().min(0).max(10).optional(),
    ready: z.boolean().optional(),
    version: z.string().min(1).max(128).optional(),
  })
  .strict();

export type ConfigPatch = z.infer<typeof configPatchSchema>;

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'TRUE', 'FALSE', 'True', 'False'])
  .transform((v) => ['true', '1', 'yes'].includes(v.toLowerCase()));

/** The environment variables the demo app reads. */
export const envSchema = z.object({
  VERSION: z.string().min(1).default('v1'),
  ERROR_RATE: z.coerce.number().min(0).max(1).default(0),
  LATENCY_MS: z.coerce.number().min(0).default(5),
  LATENCY_JITTER: z.coerce.number().min(0).max(10).default(0.1),
  READY: bool.default(true),
  SEED: z.coerce.number().int().min(0).optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  POD_IP: z.string().min(1).default('127.0.0.1'),
  POD_NAME: z.string().default(''),
  EXIT_AFTER_MS: z.coerce.number().min(0).optional(),
  EXIT_CODE: z.coerce.number().int().min(0).max(255).default(1),
});

/** Everything the process needs at start. */
export interface DemoStartup {
  config: DemoConfig;
  host: string;
  port: number;
  podName: string;
  seed: number;
  exitAfterMs?: number;
  exitCode: number;
}

/** The first problem in a zod error, as "FIELD: message". */
export function describeIssue(error: z.ZodError): { field: string; message: string } {
  const issue = error.issues[0];
  const keys = issue && 'keys' in issue && Array.isArray(issue.keys) ? (issue.keys as string[]) : [];
  const field = issue ? [...issue.path.map(String), ...keys.slice(0, 1)].join('.') : '';
  return { field, message: issue?.message ?? 'invalid' };
}

/** Reads the startup settings from `env`; throws an Error naming the variable on bad input. */
export function startupFromEnv(env: NodeJS.ProcessEnv): DemoStartup {
  const known = Object.fromEntries(
    Object.keys(envSchema.shape)
      .filter((k) => env[k] !== undefined && env[k] !== '')
      .map((k) => [k, env[k]]),
  );
  const parsed = envSchema.safeParse(known);
  if (!parsed.success) {
    const { field, message } = describeIssue(parsed.error);
    throw new Error(`invalid environment variable ${field}: ${message}`);
  }
  const e = parsed.data;
  return {
    config: {
      version: e.VERSION,
      errorRate: e.ERROR_RATE,
      latencyMs: e.LATENCY_MS,
      latencyJitter: e.LATENCY_JITTER,
      ready: e.READY,
    },
    host: e.POD_IP,
    port: e.PORT,
    podName: e.POD_NAME,
    seed: e.SEED ?? seedFromString(e.POD_NAME || 'demo-app'),
    exitAfterMs: e.EXIT_AFTER_MS,
    exitCode: e.EXIT_CODE,
  };
}
