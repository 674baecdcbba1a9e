/** The rolling strategy's part of a rollout record. */
import { z } from 'zod';

export const rollingStateSchema = z.object({
  kind: z.literal('rolling'),
  /** The current step (a batch or a gate); the last batch is the promotion. */
  stepIndex: z.number().int().min(0),
  stepStartedAt: z.number(),
  /** Set while promoting: the last batch, entered after the steps or by `promote --full`. */
  promotion: z.object({ since: z.number(), full: z.boolean() }).optional(),
});
export type RollingState = z.infer<typeof rollingStateSchema>;
