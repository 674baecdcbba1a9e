/**
 * Metric providers are the operator's, not the plan's (DESIGN §1, §5): the operator configures them by
 * name — kind, address, TLS, credentials — and a plan chooses one by `spec.analysis.provider` (or gets
 * the default). A plan never names an address or a file. Adding a provider kind is a folder under
 * providers/ and one line here.
 */
import { PlanValidationError } from '../../errors';
import { z } from 'zod';
import { dnsLabel } from '../../plan/fields';
import { oneOfRegistry, onlyEntry, Registry } from '../../util/registry';
import type { MetricProvider } from './metricProvider';
import { prometheusProvider } from './prometheus';

/** How a query ended, for Ramp's own metrics. */
export type ProviderOutcome = 'ok' | 'unavailable' | 'invalidQuery';

/** Hooks every provider gets. */
export interface ProviderHooks {
  onRequest?: (kind: string, outcome: ProviderOutcome, ms: number) => void;
}

/** One provider kind: its settings (the block under `<kind>:` in the operator's configuration) and how to build it. */
export interface ProviderPlugin<S = unknown> {
  readonly key: string;
  readonly settingsSchema: z.ZodType<S>;
  create(settings: S, hooks: ProviderHooks): MetricProvider;
}

export const providerKinds = new Registry<ProviderPlugin>('metric provider kind');
providerKinds.register(prometheusProvider as ProviderPlugin);

/** The operator's providers (a `--providers-file`, or the chart's values): each named, one kind each. */
export const providersConfigSchema = z
  .strictObject({
    providers: z
      .array(
        z
          .object({ name: dnsLabel('a provider name') })
          .catchall(z.unknown())
          .transform((p, ctx) => {
            const { name, ...kind } = p;
            const r = oneOfRegistry(providerKinds, (k) => k.settingsSchema).safeParse(kind);
            if (!r.success) {
              for (const issue of r.error.issues) ctx.issues.push({ ...issue, input: p } as never);
              return z.NEVER;
            }
            return { name, ...r.data };
          }),
      )
      .min(1, { error: 'expected at least one provider' }),
    /** The provider of plans that name none; default: the first. */
    default: z.string().optional(),
  })
  .superRefine((c, ctx) => {
    const names = c.providers.map((p) => p.name);
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i)
        ctx.addIssue({ code: 'custom', path: ['providers', i, 'name'], message: `"${n}" is named twice` });
    });
    if (c.default !== undefined && !names.includes(c.default))
      ctx.addIssue({
        code: 'custom',
        path: ['default'],
        message: `no provider is named "${c.default}"; named: ${names.join(', ')}`,
      });
  });
export type ProvidersConfig = z.output<typeof providersConfigSchema>;

/** The one provider `--prometheus-url` stands for: `prometheus`, the default. */
export function prometheusAt(address: string): z.input<typeof providersConfigSchema> {
  return { providers: [{ name: 'prometheus', prometheus: { address } }] };
}

/** The operator's providers built once, looked up by the name a plan gives. */
export class Providers {
  private readonly built = new Map<string, MetricProvider>();
  private readonly config: ProvidersConfig | undefined;

  constructor(
    config: z.input<typeof providersConfigSchema> | undefined,
    private readonly hooks: ProviderHooks = {},
  ) {
    this.config = config === undefined ? undefined : providersConfigSchema.parse(config);
  }

  /** The names configured, the default first. */
  names(): string[] {
    const names = this.config?.providers.map((p) => p.name) ?? [];
    const def = this.defaultName();
    return def ? [def, ...names.filter((n) => n !== def)] : names;
  }

  private defaultName(): string | undefined {
    return this.config?.default ?? this.config?.providers[0]?.name;
  }

  /**
   * The provider named `name` (the plan's spec.analysis.provider), or the default when it names none.
   * PlanValidationError naming that field when there is no such provider.
   */
  get(name: string | undefined): MetricProvider {
    const wanted = name ?? this.defaultName();
    const spec = this.config?.providers.find((p) => p.name === wanted);
    if (!spec || wanted === undefined) {
      const configured = this.names();
      const message = configured.length
        ? `no metric provider is named "${wanted}"; the operator configured: ${configured.join(', ')}`
        : 'the plan has metrics but no metric provider is configured: start the server and workers with --prometheus-url or --providers-file';
      throw new PlanValidationError([{ path: 'spec.analysis.provider', message }]);
    }
    let p = this.built.get(wanted);
    if (!p) {
      const { name: _n, ...kind } = spec;
      const { key, value } = onlyEntry(kind);
      p = providerKinds.get(key).create(value, this.hooks);
      this.built.set(wanted, p);
    }
    return p;
  }
}
