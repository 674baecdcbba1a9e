/**
 * The strategy-neutral progress view every strategy's describe() returns: its steps with the current one
 * marked, the traffic it asks for and what the cluster actually does, and the revisions by role. The API
 * view carries it; the CLI's status, live view and step summary and `ramp lint` render it without
 * knowing which strategy made it.
 */
import { z } from 'zod';
import { podSummarySchema } from '../kube/pods';
import type { RolloutRecord } from '../engine/record';

export const stepViewSchema = z.object({
  index: z.number().int(),
  description: z.string(),
  state: z.enum(['done', 'current', 'pending']),
});
export type StepView = z.infer<typeof stepViewSchema>;

export const progressViewSchema = z.object({
  /** The strategy's key (canary, blueGreen, …). */
  strategy: z.string(),
  /** What the new revision is called in this strategy's displays (canary, preview, new). */
  newRole: z.string(),
  steps: z.array(stepViewSchema),
  /** The current step's index; steps.length once every step is done. */
  stepIndex: z.number().int(),
  traffic: z.object({
    /** What the steps so far ask for: the new revision's share of requests, and the requests matched to it. */
    target: z.object({ weight: z.number(), matches: z.array(z.string()) }),
    /**
     * What the cluster does, as last observed: the share of ready pods (no router), or whether the router
     * was verified at the target. Absent before the first look.
     */
    actual: z
      .object({
        source: z.enum(['router', 'pods']),
        weight: z.number().optional(),
        verified: z.boolean().optional(),
      })
      .optional(),
  }),
  /**
   * When the current step's wait ends (ms since the epoch): a timed pause's end, an analyze step's
   * `min`. Absent when the step waits on nothing timed.
   */
  waitUntil: z.number().optional(),
  /** Revisions by role, with their pods as last observed. */
  revisions: z.array(
    z.object({
      role: z.enum(['stable', 'canary', 'preview', 'previous']),
      revision: z.string(),
      desired: z.number().int().optional(),
      ready: z.number().int().optional(),
      /** A few of its pods as last observed, with why each that fails cannot run. */
      pods: z.array(podSummarySchema).optional(),
    }),
  ),
});
export type ProgressView = z.infer<typeof progressViewSchema>;

/** A step's state given the current index and whether the rollout is past its steps. */
export function stepState(index: number, current: number, allDone: boolean, started: boolean): StepView['state'] {
  if (allDone || index < current) return 'done';
  return index === current && started ? 'current' : 'pending';
}

/**
 * The revisions by role with their pods as last observed: stable, the new one (under the strategy's
 * name for it, or stable once promoted), and the previous stable while it keeps its pods.
 */
export function revisionsView(
  record: Pick<RolloutRecord, 'cluster' | 'revisions'>,
  newRole: 'canary' | 'preview',
): ProgressView['revisions'] {
  const pods = (rev: string) => {
    const r = record.cluster?.revisions.find((x) => x.revision === rev);
    return r ? { desired: r.replicas, ready: r.ready, ...(r.pods ? { pods: r.pods } : {}) } : {};
  };
  const { stable, new: rev, previousStable } = record.revisions;
  const out: ProgressView['revisions'] = [];
  if (stable && stable !== rev) out.push({ role: 'stable', revision: stable, ...pods(stable) });
  if (rev) out.push({ role: stable === rev ? 'stable' : newRole, revision: rev, ...pods(rev) });
  if (previousStable && previousStable !== stable)
    out.push({ role: 'previous', revision: previousStable, ...pods(previousStable) });
  return out;
}
