/**
 * Command results on stdout: `-o json` and `-o yaml` print the API's own objects for scripts; `text`
 * prints these summaries for people. Progress and errors go to stderr, so stdout stays parseable.
 */
import YAML from 'yaml';
import type { RolloutView, RolloutWithHistory } from '../../api/schemas';
import type { OutputFormat } from '../config';
import { eventLine } from './eventLine';
import {
  canaryLine,
  podLines,
  elapsedMs,
  elapsedText,
  isoSecond,
  newRevisionShare,
  outcomeText,
  stepLines,
  stepPosition,
  verdictLines,
  viewStep,
  waitLine,
} from './parts';

/** Writes `value` as JSON or YAML, or `text()` for people. */
export function printResult(
  out: NodeJS.WritableStream,
  format: OutputFormat,
  value: unknown,
  text: () => string,
): void {
  if (format === 'json') out.write(`${JSON.stringify(value, null, 2)}\n`);
  else if (format === 'yaml') out.write(YAML.stringify(value));
  else out.write(`${text()}\n`);
}

/** `rollout shop.checkout.3 promoted after 1m12s: <message>` — the last line of a wait. */
export function finalLine(view: RolloutView, now: number): string {
  const outcome = outcomeText(view);
  // The record's message often begins with the outcome too ("rolled back: …"): say it once.
  const message = view.message.startsWith(`${outcome}: `) ? view.message.slice(outcome.length + 2) : view.message;
  return `rollout ${view.id} ${outcome} after ${elapsedText(elapsedMs(view, now))}: ${message}`;
}

/** What a started (or operated-on) rollout looks like now, in one paragraph. */
export function rolloutText(view: RolloutView, verb: string): string {
  const pos = stepPosition(viewStep(view), view.steps.length);
  return [
    `rollout ${view.id} ${verb}: ${view.phase}${pos ? `, ${pos}` : ''}, weight ${view.weight}%`,
    `  ${view.message}`,
    `  follow it: ramp watch ${view.name} -n ${view.namespace}`,
  ].join('\n');
}

/** `ramp status`: the rollout, its steps, verdicts and the latest events. */
export function statusText(r: RolloutWithHistory, now: number, historyLines = 10): string {
  const pos = stepPosition(viewStep(r), r.steps.length);
  const lines = [
    `${r.name} in ${r.namespace}: rollout ${r.id} (attempt ${r.attempt}, ${r.strategy} via ${r.router})`,
    `  phase      ${outcomeText(r)}${pos ? ` · ${pos}` : ''}${r.pause ? ` · paused (${r.pause.kind}) since ${isoSecond(r.pause.since)}` : ''}`,
    `  traffic    ${canaryLine(r)}`,
    `  started    ${isoSecond(r.createdAt)} (${elapsedText(elapsedMs(r, now))}${r.outcome ? ' in all' : ' so far'})`,
    `  message    ${r.message}`,
    ...[waitLine(r, now)].flatMap((l) => (l ? [`  next       ${l}`] : [])),
    'steps:',
    ...stepLines(r).map((l) => `  ${l}`),
    ...(r.pods.length ? ['pods:', ...podLines(r).map((l) => `  ${l}`)] : []),
    'metrics:',
    ...verdictLines(r.analysis.metrics).map((l) => `  ${l}`),
  ];
  const recent = r.history.slice(-historyLines);
  if (recent.length)
    lines.push(
      `events${r.history.length > recent.length ? ` (last ${recent.length} of ${r.history.length})` : ''}:`,
      ...recent.map((e) => `  ${eventLine(e, r.steps.length)}`),
    );
  return lines.join('\n');
}

/** `ramp list`: one row per rollout. */
export function listText(items: readonly RolloutView[], now: number): string {
  if (items.length === 0) return 'no rollouts';
  const rows = [['NAME', 'ROLLOUT', 'PHASE', 'OUTCOME', 'STEP', 'WEIGHT', 'AGE']];
  for (const v of items) {
    const step = v.steps.length ? `${Math.min(viewStep(v) + 1, v.steps.length)}/${v.steps.length}` : '-';
    rows.push([
      v.name,
      v.id,
      v.phase,
      v.outcome ?? '-',
      step,
      `${newRevisionShare(v)}%`,
      elapsedText(Math.max(0, now - Date.parse(v.createdAt))),
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n');
}

/** `ramp history`: one row per rollout of the app, newest first — the revision, images, outcome, when, who. */
export function historyText(items: readonly RolloutView[]): string {
  if (items.length === 0) return 'no rollouts';
  const rows = [['ROLLOUT', 'REVISION', 'IMAGES', 'OUTCOME', 'STARTED', 'BY']];
  for (const v of items)
    rows.push([
      v.id,
      v.revisions.new || '-',
      v.images.join(',') || '-',
      `${v.outcome ?? v.phase}${v.undoOf ? ` (undo of ${v.undoOf})` : ''}`,
      isoSecond(v.createdAt),
      v.createdBy ?? '-',
    ]);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n');
}
