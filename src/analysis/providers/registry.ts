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
import type { Logger } from 'pino';
import type { MetricProvider } from './metricProvider';
import { prometheusProvider } from './prometheus';

/** How a query ended, for Ramp's own metrics. */
export type ProviderOutcome = 'ok' | 'unavailable' | 'invalidQuery';

/** Hooks every provider gets. */
export interface ProviderHooks {
  onRequest?: (kind: string, outcome: ProviderOutcome, ms: number) => void;
  /** Where a provider writes what its server answered to a failed query (tenants never see it). */
  logger?: Logger;
  /** The provider's name in the operator's configuration (set by Providers). */
  name?: string;
}

/** One provider kind: its settings (the block under `<kind>:` in the operator's configuration) and how to build it. */
export interface ProviderPlugin<S = unknown> {
  readonly key: string;
  readonly settingsSchema: z.ZodType<S>;
  create(settings: S, hooks: ProviderHooks): MetricProvider;
}

export const providerKinds = new Registry<ProviderPlugin>('metric provider kind');
providerKinds.register(prometheusProvider as ProviderPlugin);

const namespacesSchema = z.union([z.tuple([z.literal('*')]), z.array(dnsLabel('a namespace')).min(1)], {
  error: "expected a list of namespaces, or ['*'] for all",
});

/** The operator's providers (a `--providers-file`, or the chart's values): each named, one kind each. */
export const providersConfigSchema = z
  .strictObject({
    providers: z
      .array(
        z
          .object({
            name: dnsLabel('a provider name'),
            /** The namespaces whose plans may use it (default: every namespace). */
            namespaces: namespacesSchema.optional(),
          })
          .catchall(z.unknown())
          .transform((p, ctx) => {
            const { name, namespaces, ...kind } = p;
            const r = oneOfRegistry(providerKinds, (k) => k.settingsSchema).safeParse(kind);
            if (!r.success) {
              for (const issue of r.error.issues) ctx.issues.push({ ...issue, input: p } as never);
              return z.NEVER;
            }
            return { name, namespaces: namespaces ?? ['*'], ...r.data };
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

  /** The names the plans of `namespace` may use, the default first. */
  namesFor(namespace: string): string[] {
    return this.names().filter((n) => this.allows(n, namespace));
  }

  private allows(name: string, namespace: string): boolean {
    const ns = this.config?.providers.find((p) => p.name === name)?.namespaces ?? [];
    return ns[0] === '*' || ns.includes(namespace);
  }

  /**
   * The provider named `name` (the plan's spec.analysis.provider), or the default when it names none,
   * for a rollout in `namespace`. PlanValidationError naming that field when there is no such provider
   * or the operator did not open it to the namespace (the message names only those it may use).
   */
  get(name: string | undefined, namespace: string): MetricProvider {
    const wanted = name ?? this.defaultName();
    const spec = this.config?.providers.find((p) => p.name === wanted);
    if (!spec || wanted === undefined || !this.allows(wanted, namespace)) {
      const usable = this.namesFor(namespace);
      const message = !this.config
        ? 'the plan has metrics but no metric provider is configured: start the server and workers with --prometheus-url or --providers-file'
        : usable.length
          ? `no metric provider named "${wanted}" is available to namespace ${namespace}; available: ${usable.join(', ')}`
          : `no metric provider is available to namespace ${namespace}`;
      throw new PlanValidationError([{ path: 'spec.analysis.provider', message }]);
    }
    let p = this.built.get(wanted);
    if (!p) {
      const { name: _n, namespaces: _ns, ...kind } = spec;
      const { key, value } = onlyEntry(kind);
      p = providerKinds.get(key).create(value, { ...this.hooks, name: wanted });
      this.built.set(wanted, p);
    }
    return p;
  }
}
