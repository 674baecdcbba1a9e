/**
 * `--wait` and `ramp watch`: follows one rollout's events to its end, showing them on a progress
 * display, bounded by `--timeout`, and appends the CI summary when asked. The caller turns the final
 * view into an exit code (src/cli/exitCodes.ts `exitCodeForOutcome`).
 */
import { WaitTimeoutError } from '../errors';
import type { RolloutView } from '../api/schemas';
import { formatDuration } from '../plan/duration';
import type { RampApiClient } from './apiClient';
import type { RolloutProgress } from './output/rolloutProgress';
import { appendStepSummary } from './output/stepSummary';

/** Where progress goes and how long to wait. */
export interface WaitOptions {
  progress: RolloutProgress;
  /** Stop waiting after this long (WaitTimeoutError); the rollout itself goes on. */
  timeoutMs?: number;
  /** The --timeout as the user wrote it, for the message. */
  timeoutText?: string;
  /** `$GITHUB_STEP_SUMMARY`: append a Markdown summary here at the end. */
  summaryFile?: string;
  /** Warnings that must not change the outcome (a summary file we cannot write). */
  warn?: (message: string) => void;
  signal?: AbortSignal;
  /** How often a display that shows measurements and timers fetches the rollout between events. Default 5 s. */
  refreshMs?: number;
}

/** Follows `view`'s rollout from its first event until it ends → the final view. */
export async function waitForRollout(
  client: RampApiClient,
  view: RolloutView,
  opts: WaitOptions,
): Promise<RolloutView> {
  const timeout = new AbortController();
  const timer =
    opts.timeoutMs !== undefined ? setTimeout(() => timeout.abort(new Error('timeout')), opts.timeoutMs) : undefined;
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout.signal]) : timeout.signal;
  opts.progress.start(view);
  const refresher = keepFresh(client, view, opts, signal);
  try {
    for await (const item of client.followEvents(view.namespace, view.name, { rollout: view.id, signal })) {
      if (item.type === 'event') opts.progress.event(item.event);
      else if (item.type === 'reconnecting') opts.progress.reconnecting(item.attempt, item.delayMs, item.reason);
      else {
        opts.progress.end(item.rollout);
        summarize(opts, item.rollout, false);
        return item.rollout;
      }
    }
    throw new Error('the event stream ended without the rollout ending');
  } catch (err) {
    if (!timeout.signal.aborted) throw err;
    const last = opts.progress.current ?? view;
    opts.progress.close();
    summarize(opts, last, true);
    throw new WaitTimeoutError(
      view.id,
      opts.timeoutText ?? formatDuration(opts.timeoutMs ?? 0),
      last.phase,
      `ramp watch ${view.name} -n ${view.namespace} --rollout ${view.id}`,
    );
  } finally {
    clearTimeout(timer);
    clearInterval(refresher);
    opts.progress.close();
  }
}

/**
 * Fetches the rollout every `refreshMs` for a display that refreshes (measurements and countdowns move
 * between events). A failed fetch is skipped: the event stream tells of a lost connection.
 */
function keepFresh(
  client: RampApiClient,
  view: RolloutView,
  opts: WaitOptions,
  signal: AbortSignal,
): NodeJS.Timeout | undefined {
  const { progress } = opts;
  if (!progress.refresh) return undefined;
  let busy = false;
  const timer = setInterval(() => {
    if (busy || signal.aborted) return;
    busy = true;
    client
      .getRollout(view.namespace, view.name, { rollout: view.id, signal })
      .then(({ history: _history, ...fresh }) => progress.refresh?.(fresh))
      .catch(() => undefined)
      .finally(() => (busy = false));
  }, opts.refreshMs ?? 5000);
  timer.unref();
  return timer;
}

function summarize(opts: WaitOptions, view: RolloutView, stillRunning: boolean): void {
  if (!opts.summaryFile) return;
  try {
    appendStepSummary(opts.summaryFile, view, Date.now(), stillRunning);
  } catch (err) {
    opts.warn?.(`could not write the step summary to ${opts.summaryFile}: ${(err as Error).message}`);
  }
}
