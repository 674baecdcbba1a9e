/** Progress on a terminal: the live view (liveView.ts) redrawn in place on every event and every second. */
import type { EventView, RolloutView } from '../../api/schemas';
import { applyEnd, applyEvent, initialLiveState, refreshed, renderLive, withNotice, type LiveState } from './liveView';
import type { RolloutProgress } from './rolloutProgress';
import { InPlaceWriter } from './terminal';

/** Redraws the live view on a terminal stream; the elapsed time ticks every `refreshMs`. */
export class LiveProgress implements RolloutProgress {
  private state: LiveState | undefined;
  private readonly writer: InPlaceWriter;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly refreshMs = 1000,
  ) {
    this.writer = new InPlaceWriter(stream);
  }

  get current(): RolloutView | undefined {
    return this.state?.view;
  }

  start(view: RolloutView): void {
    this.state = initialLiveState(view);
    this.draw();
    // The elapsed time moves even when nothing happens; unref so the timer never keeps us alive.
    this.timer = setInterval(() => this.draw(), this.refreshMs);
    this.timer.unref();
  }

  event(e: EventView): void {
    if (!this.state) return;
    this.state = applyEvent(this.state, e);
    this.draw();
  }

  refresh(view: RolloutView): void {
    if (!this.state || this.closed) return;
    this.state = refreshed(this.state, view);
    this.draw();
  }

  reconnecting(attempt: number, delayMs: number, reason: string): void {
    if (!this.state) return;
    this.state = withNotice(
      this.state,
      `connection to the API lost (${reason}); reconnecting (attempt ${attempt}, in ${Math.round(delayMs / 100) / 10}s)`,
    );
    this.draw();
  }

  end(view: RolloutView): void {
    this.state = applyEnd(this.state ?? initialLiveState(view), view);
    this.draw();
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.writer.release();
  }

  private draw(): void {
    if (this.closed || !this.state) return;
    this.writer.draw(renderLive(this.state, Date.now(), this.stream.columns));
  }
}
