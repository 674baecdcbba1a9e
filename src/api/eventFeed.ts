/**
 * A rollout's events from its Redis stream, from a resume point until the rollout has ended and every
 * event of its ending has been delivered — the logic behind the SSE endpoint, free of HTTP.
 *
 * "Ended" needs care: a reconcile commits the terminal phase first and appends its events right
 * after, so a terminal record alone does not mean the stream is complete. The feed ends when the
 * record is terminal and the stream holds an event in a terminal phase — or, should a worker have died
 * between the two writes, when the record has stayed terminal for `graceMs` without one.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { EngineDeps } from '../engine/deps';
import { RolloutNotFoundError } from '../errors';
import type { StoredEvent } from '../engine/events';
import { isTerminal, type RolloutRecord } from '../engine/record';

export interface FeedSink {
  /** Delivers one event; awaited, in order. */
  event(e: StoredEvent): Promise<void>;
  /** Called once, after the last event, with the finished rollout. */
  end(record: RolloutRecord): Promise<void>;
}

export interface FeedOptions {
  /**
   * How often the record is read to notice the end (ms). Default 5000: the end is normally noticed at
   * once, from the ending event or the first read; this only covers a worker that died between writing
   * the terminal record and its events, and keeps thousands of open streams from reading their records
   * every second.
   */
  pollMs?: number;
  /** How long a terminal record may go without a terminal event before the feed ends anyway (ms). Default 3000. */
  graceMs?: number;
}

/** How a feed stopped: the rollout ended (and `end` was called), the caller aborted, or the event source closed. */
export type FeedResult = 'ended' | 'aborted' | 'closed';

const endsStream = (e: StoredEvent): boolean => e.event.phase !== undefined && isTerminal(e.event.phase);

/** One feed's progress: what was delivered, and whether (and when) the rollout was seen to end. */
class Feed {
  readonly stop = new AbortController();
  cursor: string;
  finished?: RolloutRecord;
  failure?: unknown;
  private sawEnding = false;
  private streamChecked = false;
  private terminalSince?: number;

  constructor(
    private readonly deps: EngineDeps,
    private readonly rolloutId: string,
    private readonly sink: FeedSink,
    private readonly graceMs: number,
    after: string,
  ) {
    this.cursor = after;
  }

  /** Delivers one followed event; an ending event triggers the end check at once. */
  async deliver(e: StoredEvent): Promise<void> {
    await this.sink.event(e);
    this.cursor = e.id;
    if (endsStream(e)) {
      this.sawEnding = true;
      await this.check();
    }
  }

  /** Stops the follow once the rollout has ended and its ending is in the stream (or the grace period is over). */
  async check(): Promise<void> {
    try {
      const r = await this.deps.store.get(this.rolloutId);
      // The record went away (Redis lost its data, or it was pruned): nothing will ever end this feed.
      if (!r) throw new RolloutNotFoundError(this.rolloutId);
      if (!isTerminal(r.phase)) return;
      this.terminalSince ??= Date.now();
      if (!this.sawEnding && !this.streamChecked) {
        // The ending may have been delivered on an earlier connection (the client resumes after it).
        this.streamChecked = true;
        this.sawEnding = (await this.deps.events.read(this.rolloutId)).some(endsStream);
      }
      if (this.sawEnding || Date.now() - this.terminalSince >= this.graceMs) {
        this.finished = r;
        this.stop.abort();
      }
    } catch (err) {
      this.failure ??= err;
      this.stop.abort();
    }
  }

  /** Checks every `pollMs` until the feed stops: an end with no new event to trigger it is noticed too. */
  async poll(pollMs: number): Promise<void> {
    while (!this.stop.signal.aborted) {
      await this.check();
      await sleep(pollMs, undefined, { signal: this.stop.signal }).catch(() => undefined);
    }
  }
}

/** Feeds the events after `after` to `sink` until the rollout ends (then `sink.end`) or `signal` aborts. */
export async function feedRolloutEvents(
  deps: EngineDeps,
  rolloutId: string,
  after: string,
  sink: FeedSink,
  signal: AbortSignal,
  opts: FeedOptions = {},
): Promise<FeedResult> {
  const feed = new Feed(deps, rolloutId, sink, opts.graceMs ?? 3000, after);
  const onAbort = (): void => feed.stop.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  const poller = feed.poll(opts.pollMs ?? 5000);
  let followEnded = false;
  try {
    await deps.events.follow(rolloutId, after, (e) => feed.deliver(e), feed.stop.signal);
    followEnded = !feed.stop.signal.aborted;
  } catch (err) {
    feed.failure ??= err;
  } finally {
    feed.stop.abort();
    await poller;
    signal.removeEventListener('abort', onAbort);
  }
  if (feed.failure !== undefined) throw feed.failure;
  if (signal.aborted) return 'aborted';
  // follow returned by itself: the event source is closing (the server shuts down).
  if (followEnded || !feed.finished) return 'closed';
  // follow stops between events; whatever was appended after the last one delivered is sent now.
  for (const e of await deps.events.read(rolloutId, { after: feed.cursor })) await sink.event(e);
  await sink.end((await deps.store.get(rolloutId)) ?? feed.finished);
  return 'ended';
}
