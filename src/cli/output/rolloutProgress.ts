/**
 * Where a followed rollout's progress goes. Two implementations: plainProgress.ts (one timestamped
 * line per event: CI and pipes) and liveProgress.ts (a view redrawn in place on a terminal);
 * src/cli/progress.ts picks one.
 */
import type { EventView, RolloutView } from '../../api/schemas';

/** Shows a followed rollout as its events arrive; see the file comment for the two kinds. */
export interface RolloutProgress {
  /** The rollout as it was when following began; called once, before any event. */
  start(view: RolloutView): void;
  /** One event, in stream order, each exactly once. */
  event(e: EventView): void;
  /** The event stream dropped; the next try is in `delayMs`. */
  reconnecting(attempt: number, delayMs: number, reason: string): void;
  /**
   * The rollout as the API shows it now, fetched between events (measurements and timers move without
   * one). Optional: a display that only tells events needs none.
   */
  refresh?(view: RolloutView): void;
  /** The rollout ended; `view` is its final state. Output is complete after this returns. */
  end(view: RolloutView): void;
  /** Stops any timer and leaves the output tidy; safe to call twice, also without `end`. */
  close(): void;
  /** The rollout as last known (the start view folded with every event since), once started. */
  readonly current: RolloutView | undefined;
}
