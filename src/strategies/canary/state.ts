/** The canary strategy's part of a rollout record. */
import { z } from 'zod';

export const PROMOTION_STAGES = ['scaleUp', 'shift', 'switch', 'reset'] as const;

export const canaryStateSchema = z.object({
  /** canary, or gray (the canary's machinery with slices of users: src/strategies/gray). */
  kind: z.enum(['canary', 'gray']),
  stepIndex: z.number().int().min(0),
  stepStartedAt: z.number(),
  /** The canary weight the steps so far allow (the last setWeight). */
  weight: z.number().int().min(0).max(100),
  /** Gray: the setSlice step whose slice of requests goes to the new revision now (absent: no slice). */
  sliceStep: z.number().int().min(0).optional(),
  /** Gray: the cookie that keeps a client the weight sent to the new revision there (the last setWeight's `sticky`). */
  sticky: z.string().optional(),
  /** A setCanaryScale override of the canary's pod count. */
  canaryScale: z
    .object({
      replicas: z.number().int().optional(),
      weight: z.number().int().optional(),
      matchTrafficWeight: z.boolean().optional(),
    })
    .optional(),
  /**
   * Promotion's stages behind a router: the canary to full size, all traffic to it, the stable Service to
   * it, traffic back to the stable Service. Without a router only the first.
   */
  promotion: z.object({ since: z.number(), full: z.boolean(), stage: z.enum(PROMOTION_STAGES) }).optional(),
});
export type CanaryState = z.infer<typeof canaryStateSchema>;
export type PromotionStage = (typeof PROMOTION_STAGES)[number];
