/**
 * Pieces every rollout display shares — the step list, the weight bar, metric verdicts, durations —
 * as plain text (no ANSI), so the status view, the live view and the CI summary say the same thing.
 */
import type { RolloutView } from '../../api/schemas';
import { formatDuration } from '../../plan/duration';

type Step = RolloutView['steps'][number];
type Verdict = RolloutView['analysis']['metrics'][number];

const TERMINAL = new Set<RolloutView['phase']>(['Succeeded', 'RolledBack', 'Failed']);

/** Succeeded, RolledBack or Failed: the rollout will not change again. */
export function isTerminalView(view: Pick<RolloutView, 'phase'>): boolean {
  return TERMINAL.has(view.phase);
}

/** `[██████░░░░░░░░░░░░░░] 30%` */
export function weightBar(weight: number, width = 20): string {
  const w = Math.max(0, Math.min(100, Math.round(weight)));
  const filled = Math.round((w / 100) * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${w}%`;
}

/**
 * The share of traffic on the new revision. Once promoted the record's weight is back to 0 (the stable
 * Service serves the new revision), so it is all of it.
 */
export function newRevisionShare(view: Pick<RolloutView, 'weight' | 'outcome'>): number {
  return view.outcome === 'promoted' ? 100 : view.weight;
}

/**
 * `canary [██░░…] 10%  aaaa → bbbb` (the strategy's name for the new revision), with what the cluster
 * does when it is not the target: `(actual 0%)`; `… 100%  bbbb is stable` once promoted.
 */
export function canaryLine(
  view: Pick<RolloutView, 'weight' | 'outcome' | 'revisions' | 'newRole' | 'traffic'>,
): string {
  const label = view.newRole;
  if (view.outcome === 'promoted')
    return `${label} ${weightBar(newRevisionShare(view))}  ${view.revisions.new} is stable`;
  const { stable, new: rev } = view.revisions;
  return `${label} ${weightBar(view.weight)}${actualText(view)}  ${stable && stable !== rev ? `${stable} → ` : ''}${rev}`;
}

/** ` (actual 33%)` when the pods give another share than the target, ` (router not at target yet)`; '' when all is as asked. */
export function actualText(view: Pick<RolloutView, 'weight' | 'traffic'>): string {
  const actual = view.traffic.actual;
  if (!actual) return '';
  if (actual.source === 'pods')
    return actual.weight !== undefined && actual.weight !== view.weight ? ` (actual ${actual.weight}%)` : '';
  return actual.verified === false ? ' (router not at target yet)' : '';
}

/** The marker of a step: done ✓, current ▶ (✗ where a rollback stopped it), pending ·. */
export function stepMarker(step: Step, view: Pick<RolloutView, 'phase'>): string {
  if (step.state === 'done') return '✓';
  if (step.state === 'pending') return '·';
  return view.phase === 'RollingBack' || view.phase === 'RolledBack' || view.phase === 'Failed' ? '✗' : '▶';
}

/** `✓ 1. setWeight 10`, one line per step. */
export function stepLines(view: Pick<RolloutView, 'steps' | 'phase'>): string[] {
  return view.steps.map((s) => `${stepMarker(s, view)} ${s.index + 1}. ${s.description}`);
}

/** `step 2/6` while stepping; `steps done` past the last; `` without steps. */
export function stepPosition(step: number | undefined, total: number): string {
  if (step === undefined || total === 0) return '';
  return step >= total ? `steps done (${total}/${total})` : `step ${step + 1}/${total}`;
}

/** A view's place in its steps: past the last once every step is done (a first deploy skips them all). */
export function viewStep(view: Pick<RolloutView, 'steps' | 'stepIndex'>): number {
  return view.steps.length > 0 && view.steps.every((s) => s.state === 'done') ? view.steps.length : view.stepIndex;
}

/** `errors   pass          reason…` per metric; `no metrics` when the plan judges none. */
export function verdictLines(metrics: readonly Verdict[]): string[] {
  if (metrics.length === 0) return ['no metrics'];
  const width = Math.max(...metrics.map((m) => m.name.length));
  return metrics.map((m) =>
    `${m.name.padEnd(width)}  ${(m.decision ?? 'no verdict yet').padEnd(14)}${m.reason ? ` ${m.reason}` : ''}`.trimEnd(),
  );
}

/** `canaryRequests=120, canaryErrors=0` */
export function evidenceText(evidence: Verdict['evidence']): string {
  return Object.entries(evidence ?? {})
    .map(([k, v]) => `${k}=${typeof v === 'number' ? roundNumber(v) : v}`)
    .join(', ');
}

/** How long the rollout ran: until its last change when finished, until `now` while running. */
export function elapsedMs(view: Pick<RolloutView, 'createdAt' | 'updatedAt' | 'phase'>, now: number): number {
  const start = Date.parse(view.createdAt);
  const end = isTerminalView(view) ? Date.parse(view.updatedAt) : now;
  return Math.max(0, end - start);
}

/** `1m12s` */
export function elapsedText(ms: number): string {
  return formatDuration(ms);
}

/** `2026-11-25T16:00:00Z`: ISO 8601 to the second, as CI logs and `date -u` write it. */
export function isoSecond(at: string | number | Date): string {
  return new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * What the rollout waits for and what a person can do about it: the command that moves a paused rollout
 * on (by why it is paused), or how long a timed step has left. Undefined when it waits on nothing.
 */
export function waitLine(
  view: Pick<RolloutView, 'name' | 'namespace' | 'phase' | 'pause' | 'waitUntil' | 'steps' | 'stepIndex'>,
  now: number,
): string | undefined {
  const app = `${view.name} -n ${view.namespace}`;
  if (view.phase === 'Paused') {
    switch (view.pause?.kind) {
      case 'step':
        return `waiting for \`ramp promote ${app}\` (or \`ramp abort ${app}\`)`;
      case 'user':
        return `paused by request: \`ramp resume ${app}\` goes on`;
      case 'inconclusive':
        return `waiting for the analysis to decide: it resumes by itself; or \`ramp resume ${app}\`, \`ramp abort ${app}\``;
      case 'podFailure':
        return `fix the pod, then \`ramp resume ${app}\`; or \`ramp abort ${app}\``;
      case 'routeEdited':
        return `undo the edit and \`ramp resume ${app}\` (Ramp writes its routing again), or \`ramp abort ${app}\``;
      default:
        return undefined;
    }
  }
  if (view.phase !== 'Progressing' || view.waitUntil === undefined) return undefined;
  const left = Date.parse(view.waitUntil) - now;
  if (left <= 0) return undefined;
  const step = view.steps[view.stepIndex];
  const what = step?.description.startsWith('analyze') ? 'the analysis runs at least' : 'next step in';
  return `${what} ${formatDuration(Math.ceil(left / 1000) * 1000)}`;
}

/** `promoted` → `promoted`, undefined while running → the phase. */
export function outcomeText(view: Pick<RolloutView, 'outcome' | 'phase'>): string {
  if (!view.outcome) return view.phase;
  return view.outcome === 'rolledBack' ? 'rolled back' : view.outcome;
}

/** Cuts a line to `max` characters (terminal width) with an ellipsis. */
export function clip(line: string, max: number | undefined): string {
  if (!max || max < 4 || [...line].length <= max) return line;
  return `${[...line].slice(0, max - 1).join('')}…`;
}

function roundNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 10_000) / 10_000);
}

type Revision = RolloutView['pods'][number];
type Pod = NonNullable<Revision['pods']>[number];

/** `CrashLoopBackOff (exit code 1, 3 restarts)`: why a pod cannot run, as its container says. */
export function podProblemText(pod: Pod): string {
  const p = pod.problem;
  if (!p) return pod.ready ? 'ready' : `${pod.phase}, not ready`;
  const detail = [
    p.exitCode !== undefined ? `exit code ${p.exitCode}` : undefined,
    pod.restarts > 0 ? `${pod.restarts} restart${pod.restarts === 1 ? '' : 's'}` : undefined,
  ].filter(Boolean);
  return `${p.reason}${detail.length ? ` (${detail.join(', ')})` : ''}`;
}

/**
 * `canary  bbbb  0/1 ready` per revision, then one line per pod that fails: what runs, not the target,
 * and where to look.
 */
export function podLines(view: Pick<RolloutView, 'pods' | 'namespace'>): string[] {
  const lines: string[] = [];
  for (const r of view.pods) {
    const counts = r.desired !== undefined ? `  ${r.ready ?? 0}/${r.desired} ready` : '';
    lines.push(`${r.role.padEnd(8)} ${r.revision}${counts}`);
    for (const pod of r.pods ?? []) {
      if (!pod.problem) continue;
      const look = pod.problem.exitCode !== undefined ? `kubectl logs -n ${view.namespace} ${pod.name} --previous` : '';
      lines.push(`  ✗ ${pod.name}: ${podProblemText(pod)}${look ? ` — ${look}` : ''}`);
    }
  }
  return lines;
}

/** One line per failing pod, for displays too small for every revision. */
export function podProblemLines(view: Pick<RolloutView, 'pods' | 'namespace'>): string[] {
  return podLines(view).filter((l) => l.startsWith('  ✗'));
}
