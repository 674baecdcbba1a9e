import type { ProviderResult } from './types';

/**
 * Where metric values come from (Prometheus first). Implementations live in providers/, one file each,
 * built by providers/factory.ts, and all pass test/integration/analysis/providerConformance.
 */
export interface MetricProvider {
  readonly kind: string;

  /**
   * An instant query (evaluated at `at`, default now). Never throws for a failed query: the result
   * says `unavailable` or `invalidQuery`. No side effects; safe to repeat.
   */
  query(promql: string, opts?: { at?: Date; signal?: AbortSignal }): Promise<ProviderResult>;

  /**
   * Whether a query is well-formed, for refusing a plan before anything is written: `{ ok: true }`,
   * `{ ok: false, reason }` for a bad query, or `{ ok: undefined, reason }` when the provider cannot
   * tell (it is unreachable) — callers decide whether that blocks.
   */
  validate(promql: string): Promise<{ ok: true } | { ok: false; reason: string } | { ok: undefined; reason: string }>;
}
