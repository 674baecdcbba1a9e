/**
 * The metric provider extension point: where measurements come from. The operator configures providers
 * (address, TLS, credentials) by name; a plan names one. Each kind is a folder under providers/ with its
 * settings schema and implementation, registered in registry.ts, and passes
 * test/integration/analysis/providerConformance. A provider owns its query language: the built-in
 * metrics' queries and the filling of a plan's query templates are its own, so measure.ts names none.
 */
import type { RevisionTarget } from '../revisionSeries';
import type { ProviderAnswer, ProviderResult, Sample, TimedSample } from '../types';

/** The built-in metrics' counters: requests labelled with `code`, latency histogram buckets with `le`, per `pod`. */
export type BuiltInCounters = 'requests' | 'latency';

/** What a plan's query template is filled with. */
export interface TemplateVars {
  namespace: string;
  app: string;
  canaryRevision: string;
  /** Absent on a first deploy; a template that uses it then cannot be rendered. */
  stableRevision?: string;
  /** Select revisions by this label instead of by pod name (DESIGN §5). */
  revisionLabel?: string;
  /** The analysis interval. */
  intervalMs: number;
}

/** On whose behalf a query runs: the rollout's namespace, the only one its queries may read (DESIGN §1). */
export interface QueryScope {
  namespace: string;
}

/** A query's options: its scope (required: a provider never runs a query for nobody), time and cancellation. */
export interface QueryOptions extends QueryScope {
  at?: Date;
  signal?: AbortSignal;
}

export interface MetricProvider {
  readonly kind: string;

  /**
   * An instant query (evaluated at `at`, default now), confined to `namespace`: the provider reads no
   * series of another namespace, whatever the query says, and refuses (`invalidQuery`) a query it
   * cannot confine. Never throws for a failed query: the result says `unavailable` or `invalidQuery`,
   * with a reason of the provider's own words — never text the remote server answered (that goes to
   * the server log only). No side effects; safe to repeat.
   */
  query(query: string, opts: QueryOptions): Promise<ProviderResult>;

  /**
   * Whether a query is well-formed, for refusing a plan before anything is written: `{ ok: true }`,
   * `{ ok: false, reason }` for a bad query, or `{ ok: undefined, reason }` when the provider cannot
   * tell (it is unreachable) — callers decide whether that blocks.
   */
  validate(
    query: string,
    scope: QueryScope,
  ): Promise<{ ok: true } | { ok: false; reason: string } | { ok: undefined; reason: string }>;

  /**
   * Every cumulative counter series of a built-in metric for both revisions, as stored (never summed
   * across series), with every sample of the `sinceMs` before `at` and each sample's own timestamp —
   * what aligned windows are cut from (analysis/counters.ts) — and the query that read them, for the
   * evidence of a verdict that found no series. Never throws.
   */
  counterSamples(
    counters: BuiltInCounters,
    target: RevisionTarget,
    opts: { at: Date; sinceMs: number; signal?: AbortSignal },
  ): Promise<ProviderAnswer<{ samples: TimedSample[]; query: string }>>;

  /**
   * The stable revision's recent past, for the judge's estimates of how much pods differ and how much
   * the rate moves: its increments per pod (series labelled with `pod` and `code` or `le`) over
   * `lookbackMs` before `at`, and its increments per `binMs` bin over the same time, summed over pods
   * (by `code` or `le`), oldest first. Empty when the target has no stable revision. Never throws.
   */
  counterHistory(
    counters: BuiltInCounters,
    target: RevisionTarget,
    opts: { at: Date; lookbackMs: number; binMs: number },
  ): Promise<ProviderAnswer<{ pods: Sample[]; bins: Sample[][] }>>;

  /**
   * A plan's query template with its placeholders filled (pure). PlanValidationError naming `path` when
   * it cannot be (a placeholder in the wrong place, an unknown one).
   */
  renderQuery(template: string, vars: TemplateVars, path: string): string;
}
