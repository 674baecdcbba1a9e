/**
 * The TTY live view as a pure function: a state folded from the rollout's first view and its events,
 * rendered to lines — header with phase and elapsed time, the step list with the current one marked, the
 * weight bar, each metric's latest verdict, the latest message. terminal.ts draws it in place.
 */
import type { EventView, RolloutView } from '../../api/schemas';
import { PHASES } from '../../engine/phase';
import {
  canaryLine,
  podProblemLines,
  clip,
  elapsedMs,
  elapsedText,
  outcomeText,
  stepLines,
  stepPosition,
  verdictLines,
  viewStep,
  waitLine,
} from './parts';

/** What the live view knows: the latest view of the rollout, and a notice while disconnected. */
export interface LiveState {
  view: RolloutView;
  /** Set while the event stream is down; cleared by the next event. */
  notice?: string;
}

/** The state before any event: the view the API answered. */
export function initialLiveState(view: RolloutView): LiveState {
  return { view };
}

/** The state after one event: its phase, step, weight and verdicts replace what was known. */
export function applyEvent(state: LiveState, e: EventView): LiveState {
  const prev = state.view;
  const phase = PHASES.find((p) => p === e.phase) ?? prev.phase;
  const stepIndex = e.step ?? prev.stepIndex;
  const weight = e.weight !== undefined ? Math.round(e.weight) : prev.weight;
  const verdicts = new Map((e.verdicts ?? []).map((v) => [v.name, v]));
  const view: RolloutView = {
    ...prev,
    phase,
    stepIndex,
    weight,
    traffic: { ...prev.traffic, target: { ...prev.traffic.target, weight } },
    message: e.message,
    updatedAt: e.at,
    steps: prev.steps.map((s) => ({ ...s, state: stepState(s.index, stepIndex, phase) })),
    // A timed wait belongs to the step it was read for; the next refresh brings the new one's.
    waitUntil: stepIndex === prev.stepIndex && phase === prev.phase ? prev.waitUntil : undefined,
    analysis: { metrics: prev.analysis.metrics.map((m) => verdicts.get(m.name) ?? m) },
  };
  for (const v of verdicts.values())
    if (!view.analysis.metrics.some((m) => m.name === v.name)) view.analysis.metrics.push(v);
  return { view };
}

/**
 * The state with a view fetched between events: the server's view wins, unless an event newer than it
 * has already been shown (a fetch that was overtaken must not take the display back).
 */
export function refreshed(state: LiveState, view: RolloutView): LiveState {
  if (Date.parse(view.updatedAt) < Date.parse(state.view.updatedAt)) return state;
  return { ...state, view };
}

/** The final state: the server's own last view wins over what the events implied. */
export function applyEnd(_state: LiveState, view: RolloutView): LiveState {
  return { view };
}

/** The state with a notice (the stream dropped) shown instead of the latest message. */
export function withNotice(state: LiveState, notice: string): LiveState {
  return { ...state, notice };
}

/** The lines of the live view at `now`, each cut to `columns` when given. */
export function renderLive(state: LiveState, now: number, columns?: number): string[] {
  const v = state.view;
  const pos = stepPosition(viewStep(v), v.steps.length);
  const lines = [
    `${v.name} in ${v.namespace} · rollout ${v.id} · ${outcomeText(v)}${pos ? ` · ${pos}` : ''} · ${elapsedText(elapsedMs(v, now))}`,
    ...stepLines(v).map((l) => `  ${l}`),
    `  ${canaryLine(v)}`,
    ...podProblemLines(v).map((l) => `  ${l}`),
    ...verdictLines(v.analysis.metrics).map((l) => `  ${l}`),
    `  ${state.notice ?? v.message}`,
    ...[waitLine(v, now)].flatMap((l) => (l ? [`  ${l}`] : [])),
  ];
  return lines.map((l) => clip(l, columns ? columns - 1 : undefined));
}

/** A strategy marks every step done by moving its step index past the last (promotion itself may be steps of its own). */
function stepState(index: number, current: number, phase: RolloutView['phase']): RolloutView['steps'][number]['state'] {
  if (phase === 'Succeeded' || index < current) return 'done';
  return index === current && phase !== 'Pending' ? 'current' : 'pending';
}
