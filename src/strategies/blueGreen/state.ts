/** The blue-green strategy's part of a rollout record. */
import { z } from 'zod';

export const blueGreenStateSchema = z.object({
  kind: z.literal('blueGreen'),
  /** The current step (config.steps); from `fullSize` on, the rollout is promoting. */
  stepIndex: z.number().int().min(0),
  stepStartedAt: z.number(),
  /** When every preview pod was first ready (autoPromote counts from here; the preview analysis starts here). */
  previewReadyAt: z.number().optional(),
  /** When the stable Service was seen selecting the new revision (the scale-down delay counts from here). */
  switchedAt: z.number().optional(),
  /** Set while promoting; `full`: promote --full, which skips the post-promotion analysis too. */
  promotion: z.object({ since: z.number(), full: z.boolean() }).optional(),
});
export type BlueGreenState = z.infer<typeof blueGreenStateSchema>;
