/**
 * The Markdown summary appended to `$GITHUB_STEP_SUMMARY` when a wait ends: outcome, rollout, steps,
 * the final verdicts with their evidence, and how long it took.
 */
import { appendFileSync } from 'node:fs';
import type { RolloutView } from '../../api/schemas';
import { elapsedMs, elapsedText, evidenceText, outcomeText, stepMarker } from './parts';

const ICON: Record<string, string> = { promoted: '✅', rolledBack: '❌', aborted: '⛔', failed: '❌' };

/** The summary as Markdown; `stillRunning` when we stopped waiting before the end (--timeout). */
export function stepSummaryMarkdown(view: RolloutView, now: number, stillRunning = false): string {
  const status = view.outcome
    ? `${ICON[view.outcome] ?? ''} ${outcomeText(view)}`.trim()
    : stillRunning
      ? `⏳ still ${view.phase} (stopped waiting; the rollout keeps going)`
      : view.phase;
  const rows: [string, string][] = [
    ['Outcome', status],
    ['Rollout', `\`${view.id}\` (attempt ${view.attempt})`],
    ['Revisions', revisionsCell(view)],
    ['Traffic', view.outcome === 'promoted' ? 'all on the new revision' : `${view.weight}% on the new revision`],
    ['Duration', elapsedText(elapsedMs(view, now))],
    ['Message', view.message],
  ];
  const lines = [
    `### Ramp rollout \`${view.name}\` in \`${view.namespace}\`: ${status}`,
    '',
    '| | |',
    '| --- | --- |',
    ...rows.map(([k, v]) => `| ${k} | ${cell(v)} |`),
    '',
    '**Steps**',
    '',
    ...(view.steps.length
      ? view.steps.map((s) => `${s.index + 1}. ${stepMarker(s, view)} ${s.description}`)
      : ['(none)']),
    '',
    '**Final verdicts**',
    '',
  ];
  if (view.analysis.metrics.length === 0) lines.push('No metrics judged this rollout.');
  else {
    lines.push('| Metric | Decision | Reason | Evidence |', '| --- | --- | --- | --- |');
    for (const m of view.analysis.metrics)
      lines.push(
        `| ${cell(m.name)} | ${cell(m.decision ?? 'no verdict')} | ${cell(m.reason ?? '')} | ${cell(evidenceText(m.evidence))} |`,
      );
  }
  return `${lines.join('\n')}\n\n`;
}

/** Appends the summary to `file` (GitHub Actions renders every step's file on the run page). */
export function appendStepSummary(file: string, view: RolloutView, now: number, stillRunning = false): void {
  appendFileSync(file, stepSummaryMarkdown(view, now, stillRunning));
}

/** `old` → `new`: before promotion the stable one, after it the one it replaced. */
function revisionsCell(view: RolloutView): string {
  const { stable, new: rev, previousStable } = view.revisions;
  const from = view.outcome === 'promoted' ? previousStable : stable;
  return `${from && from !== rev ? `\`${from}\` → ` : ''}\`${rev}\``;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}
