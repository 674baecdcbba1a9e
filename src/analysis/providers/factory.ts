/**
 * Builds the MetricProvider a plan (or the worker's configuration) names. One key per provider kind;
 * an unknown kind is refused, never replaced by a default.
 */
import { z } from 'zod';
import { parseDuration } from '../../plan/duration';
import { prometheusProviderSchema, type PrometheusProviderSpec } from '../../plan/schema';
import { PlanValidationError } from '../../errors/planValidationError';
import { UnknownImplementationError } from '../../errors/unknownImplementationError';
import type { MetricProvider } from '../metricProvider';
import { PrometheusProvider, type PrometheusProviderOptions, type ProviderOutcome } from './prometheus';

/** `{ prometheus: {...} }`: the provider kind and its settings, as the plan writes them. */
export type ProviderSpec = Readonly<Record<string, unknown>>;

/** The worker's side: a provider when the plan names none, and hooks every provider gets. */
export interface ProviderDefaults {
  prometheus?: z.input<typeof prometheusProviderSchema>;
  onRequest?: (kind: string, outcome: ProviderOutcome, ms: number) => void;
}

export const PROVIDER_KINDS = ['prometheus'] as const;

/** A validated `prometheus:` block compiled once: durations in milliseconds. */
export function compilePrometheusSpec(spec: PrometheusProviderSpec): Omit<PrometheusProviderOptions, 'onRequest'> {
  const timeoutMs = parseDuration(spec.timeout);
  if (timeoutMs === undefined) throw new Error(`not a duration: ${spec.timeout} (the schema should have refused it)`);
  return {
    address: spec.address,
    timeoutMs,
    bearerTokenFile: spec.bearerTokenFile,
    basicAuth: spec.basicAuth,
    insecureSkipVerify: spec.insecureSkipVerify,
  };
}

function parsePrometheus(input: unknown, path: string): PrometheusProviderSpec {
  const parsed = prometheusProviderSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new PlanValidationError(
    parsed.error.issues.map((i) => ({ path: [path, ...i.path.map(String)].join('.'), message: i.message })),
  );
}

/**
 * The provider for `spec` (the plan's `spec.analysis.<kind>` block), else the worker's default.
 * Throws UnknownImplementationError for a kind it does not know, PlanValidationError for bad settings
 * or when there is no provider at all.
 */
export function createProvider(spec: ProviderSpec | undefined, defaults: ProviderDefaults = {}): MetricProvider {
  const kinds = Object.keys(spec ?? {}).filter((k) => spec?.[k] !== undefined);
  if (kinds.length > 1)
    throw new PlanValidationError([
      { path: 'spec.analysis', message: `expected one metric provider, got ${kinds.join(' and ')}` },
    ]);
  const kind = kinds[0];
  if (kind !== undefined && !(PROVIDER_KINDS as readonly string[]).includes(kind))
    throw new UnknownImplementationError('metric provider', kind, PROVIDER_KINDS);
  const settings =
    kind !== undefined
      ? parsePrometheus(spec?.[kind], `spec.analysis.${kind}`)
      : defaults.prometheus && parsePrometheus(defaults.prometheus, 'worker prometheus');
  if (!settings) {
    throw new PlanValidationError([
      {
        path: 'spec.analysis.prometheus',
        message: 'expected a Prometheus address: the plan names none and the worker has no default',
      },
    ]);
  }
  const onRequest = defaults.onRequest;
  return new PrometheusProvider({
    ...compilePrometheusSpec(settings),
    onRequest: onRequest && ((outcome, ms) => onRequest('prometheus', outcome, ms)),
  });
}
