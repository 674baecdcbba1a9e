/**
 * What a new revision's ReplicaSet carries so that Ramp can take its traffic away should its rollout's
 * record be lost (Redis flushed): the router and its settings, the Services it splits between, and the
 * stable revision with its full size. The orphan sweep reads it back; nothing else does.
 */
import { z } from 'zod';
import type { CompiledPlan } from '../plan/compile';
import { canonicalJson } from '../util/canonicalJson';
import type { RolloutRecord } from './record';
import type { RouterContext } from '../kube/routers/trafficRouter';

export const routingNoteSchema = z.object({
  router: z.object({ key: z.string(), config: z.unknown() }),
  services: z.object({ stable: z.string(), new: z.string() }),
  port: z.number().int(),
  /** The stable revision and the pods it has at full size (it may have given some up, without a router). */
  stable: z.object({ revision: z.string(), replicas: z.number().int() }).optional(),
});
export type RoutingNote = z.infer<typeof routingNoteSchema>;

/** The note for a rollout's new revision, as the annotation's text (canonical, so equal notes compare equal). */
export function routingNote(plan: CompiledPlan, record: RolloutRecord, routerCtx: RouterContext): string {
  const { stable } = record.revisions;
  const note: RoutingNote = {
    router: plan.strategy.router,
    services: routerCtx.services,
    port: routerCtx.port,
    ...(stable ? { stable: { revision: stable, replicas: plan.replicas } } : {}),
  };
  return canonicalJson(note);
}

/** The note an annotation holds, or undefined when there is none or it cannot be read. */
export function readRoutingNote(text: string | undefined): RoutingNote | undefined {
  if (!text) return undefined;
  try {
    const parsed = routingNoteSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
