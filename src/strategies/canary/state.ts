/** The canary strategy's part of a rollout record. */
import { z } from 'zod';

export const PROMOTION_STAGES = ['scaleUp', 'shift', 'switch', 'reset'] as const;

export const canaryStateSchema = z.object({
  kind: z.literal('canary'),
  stepIndex: z.number().int().min(0),
  stepStartedAt: z.number(),
  /** The canary weight the steps so far allow (the last setWeight). */
  weight: z.number().int().min(0).max(100),
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
