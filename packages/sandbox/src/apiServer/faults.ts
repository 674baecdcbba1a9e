/**
 * Fault injection for tests: make chosen API requests slow, fail with 409/429/500/503, or drop watch
 * streams, so clients' retry and relist paths run against a real server. Rules apply to requests from
 * clients over HTTP only — the sandbox's own controllers and kubelet are never faulted.
 */
import { z } from 'zod';
import { createRng } from '../util/random';

export const faultRuleSchema = z.object({
  /** Which requests. Every given field must match; an empty match takes every request. */
  match: z
    .object({
      verbs: z
        .array(z.enum(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection']))
        .optional(),
      resources: z.array(z.string()).optional(),
      namespace: z.string().optional(),
      name: z.string().optional(),
      subresource: z.string().optional(),
    })
    .default({}),
  action: z.discriminatedUnion('type', [
    z.object({ type: z.literal('delay'), ms: z.number().int().min(0).max(600_000) }),
    z.object({
      type: z.literal('status'),
      code: z.union([z.literal(409), z.literal(429), z.literal(500), z.literal(503), z.literal(504)]),
      retryAfterSeconds: z.number().int().min(0).optional(),
    }),
    z.object({ type: z.literal('dropWatch'), afterMs: z.number().int().min(0).default(0) }),
  ]),
  /** Apply to at most this many matching requests, then retire. Unset: until removed. */
  times: z.number().int().positive().optional(),
  /** Chance that a matching request is faulted (seeded, so runs repeat). */
  probability: z.number().min(0).max(1).default(1),
});

export type FaultRuleInput = z.input<typeof faultRuleSchema>;
export type FaultRule = z.output<typeof faultRuleSchema>;
export type FaultAction = FaultRule['action'];

export interface RequestInfo {
  verb: string;
  resource?: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

interface ActiveRule {
  id: string;
  rule: FaultRule;
  remaining: number | undefined;
  hits: number;
}

export class FaultInjector {
  private rules: ActiveRule[] = [];
  private seq = 0;
  private random: () => number;
  private readonly watchDroppers = new Set<{ info: RequestInfo; drop: () => void }>();

  constructor(seed = 1) {
    this.random = createRng(seed);
  }

  reseed(seed: number): void {
    this.random = createRng(seed);
  }

  /** Adds a rule (validated) and returns its id. Open watches a dropWatch rule matches are dropped now. */
  add(input: FaultRuleInput): string {
    const rule = faultRuleSchema.parse(input);
    const id = `fault-${++this.seq}`;
    this.rules.push({ id, rule, remaining: rule.times, hits: 0 });
    if (rule.action.type === 'dropWatch') {
      for (const w of [...this.watchDroppers]) if (this.matches(rule, w.info) && this.take(id)) w.drop();
    }
    return id;
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length < before;
  }

  clear(): void {
    this.rules = [];
  }

  list(): { id: string; rule: FaultRule; hits: number; remaining?: number }[] {
    return this.rules.map((r) => ({ id: r.id, rule: r.rule, hits: r.hits, remaining: r.remaining }));
  }

  private matches(rule: FaultRule, info: RequestInfo): boolean {
    const m = rule.match;
    if (m.verbs && !m.verbs.includes(info.verb as never)) return false;
    if (m.resources && (!info.resource || !m.resources.includes(info.resource))) return false;
    if (m.namespace !== undefined && m.namespace !== info.namespace) return false;
    if (m.name !== undefined && m.name !== info.name) return false;
    if (m.subresource !== undefined && m.subresource !== info.subresource) return false;
    return true;
  }

  /** Counts a hit against a rule; false when the rule is spent or the dice say no. */
  private take(id: string): boolean {
    const r = this.rules.find((x) => x.id === id);
    if (!r) return false;
    if (this.random() >= r.rule.probability) return false;
    r.hits++;
    if (r.remaining !== undefined) {
      r.remaining--;
      if (r.remaining <= 0) this.remove(id);
    }
    return true;
  }

  /** The faults for one request, in rule order (a delay can precede a status). */
  actionsFor(info: RequestInfo): FaultAction[] {
    const out: FaultAction[] = [];
    for (const r of [...this.rules]) {
      if (r.rule.action.type === 'dropWatch' && info.verb !== 'watch') continue;
      if (this.matches(r.rule, info) && this.take(r.id)) out.push(r.rule.action);
    }
    return out;
  }

  /** Registers an open watch so a dropWatch rule added later can close it. Returns the unregister. */
  trackWatch(info: RequestInfo, drop: () => void): () => void {
    const entry = { info, drop };
    this.watchDroppers.add(entry);
    return () => void this.watchDroppers.delete(entry);
  }
}
