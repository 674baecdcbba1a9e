/**
 * A registry of the implementations of one extension point (strategies, traffic routers, metric
 * providers), keyed by the name a plan or a configuration uses. An unknown key is refused with a typed
 * error naming the known ones, never replaced by a default.
 */
import { UnknownImplementationError } from '../errors';
import { z } from 'zod';

/** Implementations of one extension point by key. */
export class Registry<T extends { readonly key: string }> {
  private readonly entries = new Map<string, T>();
  private changes = 0;

  /** `what` names the extension point in errors ("traffic router"); `planned` keys are refused with their message. */
  constructor(
    readonly what: string,
    readonly planned: Readonly<Record<string, string>> = {},
  ) {}

  /** Adds an implementation; a key taken twice is a programming error. */
  register(entry: T): void {
    if (this.entries.has(entry.key)) throw new Error(`${this.what} "${entry.key}" is registered twice`);
    this.entries.set(entry.key, entry);
    this.changes++;
  }

  /** Removes an implementation (tests that register one of their own). */
  unregister(key: string): void {
    if (this.entries.delete(key)) this.changes++;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** The implementation of `key`; UnknownImplementationError for any other. */
  get(key: string): T {
    const entry = this.entries.get(key);
    if (!entry) throw new UnknownImplementationError(this.what, key, this.keys(), this.planned[key]);
    return entry;
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  values(): T[] {
    return [...this.entries.values()];
  }

  /** Changes with every register/unregister (schemas built from the registry are rebuilt then). */
  get version(): number {
    return this.changes;
  }
}

/**
 * The schema of a block naming exactly one implementation, `{ <key>: <its settings> }`, each key's
 * settings validated (and defaulted) by that implementation's own schema. Built from the registry at
 * parse time, so an implementation registered later is accepted too. The output is the block with
 * its one key's settings parsed.
 */
export function oneOfRegistry<T extends { readonly key: string }>(
  registry: Registry<T>,
  schemaOf: (entry: T) => z.ZodType,
): z.ZodType<Record<string, unknown>, Record<string, unknown>> {
  let built: { version: number; schema: z.ZodType<Record<string, unknown>> } | undefined;
  const current = (): z.ZodType<Record<string, unknown>> => {
    if (built?.version === registry.version) return built.schema;
    const expected = `expected exactly one ${registry.what}: ${registry.keys().join(', ')}`;
    const shape: Record<string, z.ZodType> = {};
    for (const entry of registry.values()) shape[entry.key] = schemaOf(entry).optional();
    for (const [key, why] of Object.entries(registry.planned)) {
      if (registry.has(key)) continue;
      shape[key] = z
        .unknown()
        .optional()
        .superRefine((v, ctx) => {
          if (v !== undefined) ctx.addIssue({ code: 'custom', message: `${key} is not available yet: ${why}` });
        });
    }
    const known = `expected one of: ${registry.keys().join(', ')}`;
    const schema = z.looseObject(shape, { error: expected }).superRefine((v, ctx) => {
      const unknown = Object.keys(v).filter((k) => !(k in shape));
      for (const k of unknown)
        ctx.addIssue({ code: 'custom', path: [k], message: `unknown ${registry.what}; ${known}` });
      if (unknown.length === 0 && Object.values(v).filter((x) => x !== undefined).length !== 1)
        ctx.addIssue({ code: 'custom', message: expected });
    }) as z.ZodType<Record<string, unknown>>;
    built = { version: registry.version, schema };
    return schema;
  };
  return z
    .record(z.string(), z.unknown(), { error: `expected an object naming one ${registry.what}` })
    .transform((value, ctx) => {
      const r = current().safeParse(value);
      if (r.success) return r.data;
      for (const issue of r.error.issues) ctx.issues.push({ ...issue, input: value } as never);
      return z.NEVER;
    });
}

/** The one key of a block `oneOfRegistry` parsed, and its settings. */
export function onlyEntry(block: Record<string, unknown>): { key: string; value: unknown } {
  const keys = Object.keys(block).filter((k) => block[k] !== undefined);
  if (keys.length !== 1)
    throw new Error(`expected one key, got ${keys.join(', ') || 'none'} (the schema should have refused it)`);
  return { key: keys[0], value: block[keys[0]] };
}
