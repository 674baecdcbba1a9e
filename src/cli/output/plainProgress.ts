/** Progress for CI logs and pipes: one timestamped line per event, nothing redrawn, no ANSI escapes. */
import type { EventView, RolloutView } from '../../api/schemas';
import { eventLine, reconnectLine } from './eventLine';
import { applyEnd, applyEvent, initialLiveState, type LiveState } from './liveView';
import type { RolloutProgress } from './rolloutProgress';

/** Writes one `eventLine` per event (and per reconnect) to its stream. */
export class PlainProgress implements RolloutProgress {
  private state: LiveState | undefined;

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  get current(): RolloutView | undefined {
    return this.state?.view;
  }

  start(view: RolloutView): void {
    this.state = initialLiveState(view);
  }

  event(e: EventView): void {
    if (this.state) this.state = applyEvent(this.state, e);
    this.stream.write(`${eventLine(e, this.state?.view.steps.length ?? 0)}\n`);
  }

  reconnecting(attempt: number, delayMs: number, reason: string): void {
    this.stream.write(`${reconnectLine(this.clock(), attempt, delayMs, reason)}\n`);
  }

  end(view: RolloutView): void {
    this.state = applyEnd(this.state ?? initialLiveState(view), view);
  }

  close(): void {
    // Nothing to tidy: every line is complete when written.
  }
}
