/** The live view, rendered from a sequence of events: steps with the current one marked, the weight bar, verdicts, phase, elapsed. */
import {
  applyEnd,
  applyEvent,
  initialLiveState,
  refreshed,
  renderLive,
  withNotice,
  type LiveState,
} from '../../../src/cli/output/liveView';
import { InPlaceWriter } from '../../../src/cli/output/terminal';
import { waitLine, weightBar } from '../../../src/cli/output/parts';
import { T0, at, finalGood, goodStory, view } from './fixtures';

function fold(n: number): LiveState {
  return goodStory()
    .slice(0, n)
    .reduce((s, e) => applyEvent(s, e), initialLiveState(view()));
}

describe('the live view', () => {
  it('draws a weight bar of 20 cells', () => {
    expect(weightBar(30)).toBe('[██████░░░░░░░░░░░░░░] 30%');
    expect(weightBar(0)).toBe('[░░░░░░░░░░░░░░░░░░░░] 0%');
    expect(weightBar(100)).toBe('[████████████████████] 100%');
  });

  it('marks the current step, the done ones, the weight and the latest verdict as events arrive', () => {
    const lines = renderLive(fold(5), T0 + 3000);
    expect(lines[0]).toBe('checkout in shop · rollout shop.checkout.3 · Progressing · step 2/4 · 3s');
    expect(lines.slice(1, 5)).toEqual([
      '  ✓ 1. setWeight 10',
      '  ▶ 2. pause 2s',
      '  · 3. setWeight 50',
      '  · 4. pause 2s',
    ]);
    expect(lines[5]).toBe('  canary [██░░░░░░░░░░░░░░░░░░] 10%  aaaaaaaaaa → bbbbbbbbbb');
    expect(lines[6]).toBe('  errors  continue       not enough requests yet: 12 of 20');
    expect(lines[7]).toBe('  step 2/4: pause 2s');
  });

  it('moves on with later events and shows the final view at the end', () => {
    const mid = renderLive(fold(7), T0 + 5000);
    expect(mid).toContain('  ▶ 3. setWeight 50');
    expect(mid.join('\n')).toContain('[██████████░░░░░░░░░░] 50%');
    const end = renderLive(applyEnd(fold(9), finalGood()), T0 + 60_000);
    // Finished: elapsed stops at the last change, not at "now".
    expect(end[0]).toBe('checkout in shop · rollout shop.checkout.3 · promoted · steps done (4/4) · 8s');
    expect(end.filter((l) => l.includes('✓'))).toHaveLength(4);
    expect(end.join('\n')).toContain('errors  pass');
    // The record's weight is 0 again once the stable Service serves the new revision: the bar shows the traffic.
    expect(end).toContain('  canary [████████████████████] 100%  bbbbbbbbbb is stable');
  });

  it('marks the step a rollback stopped at', () => {
    const s = applyEvent(fold(6), {
      id: '1-1',
      at: new Date(T0 + 5000).toISOString(),
      type: 'RollingBack',
      message: 'rolling back: errors failed',
      phase: 'RollingBack',
      step: 2,
      weight: 0,
    });
    const lines = renderLive(s, T0 + 5000);
    expect(lines).toContain('  ✗ 3. setWeight 50');
    expect(lines.join('\n')).toContain('[░░░░░░░░░░░░░░░░░░░░] 0%');
  });

  it('shows a reconnect notice until the next event, and clips lines to the terminal width', () => {
    const noticed = withNotice(fold(3), 'connection to the API lost (refused); reconnecting (attempt 1, in 0.3s)');
    expect(renderLive(noticed, T0).at(-1)).toContain('reconnecting (attempt 1');
    expect(renderLive(applyEvent(noticed, goodStory()[3]), T0).at(-1)).not.toContain('reconnecting');
    for (const l of renderLive(noticed, T0, 30)) expect([...l].length).toBeLessThanOrEqual(29);
  });
});

describe('InPlaceWriter', () => {
  it('moves back over the previous frame and clears it before drawing the next', () => {
    let out = '';
    const w = new InPlaceWriter({ write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream);
    w.draw(['a', 'b', 'c']);
    w.draw(['d']);
    expect(out).toBe('\x1b[0Ja\nb\nc\n\x1b[3F\x1b[0Jd\n');
    w.release();
    w.draw(['e']);
    expect(out.endsWith('d\n\x1b[0Je\n')).toBe(true);
  });
});

describe('what a rollout waits for', () => {
  const stepping = view({
    phase: 'Progressing',
    stepIndex: 1,
    updatedAt: at(2),
    waitUntil: at(32),
    steps: view().steps.map((s) => ({ ...s, description: s.index === 1 ? 'pause 30s' : s.description })),
  });

  it('counts a timed step down, and says nothing once it is over', () => {
    expect(waitLine(stepping, T0 + 2_000)).toBe('next step in 30s');
    expect(waitLine(stepping, T0 + 31_200)).toBe('next step in 1s');
    expect(waitLine(stepping, T0 + 32_000)).toBeUndefined();
    const analyzing = view({
      ...stepping,
      steps: [stepping.steps[0], { index: 1, description: 'analyze (min 30s)', state: 'current' }],
    });
    expect(waitLine(analyzing, T0 + 12_000)).toBe('the analysis runs at least 20s');
  });

  it.each([
    ['step', 'waiting for `ramp promote checkout -n shop` (or `ramp abort checkout -n shop`)'],
    ['user', 'paused by request: `ramp resume checkout -n shop` goes on'],
    [
      'inconclusive',
      'waiting for the analysis to decide: it resumes by itself; or `ramp resume checkout -n shop`, `ramp abort checkout -n shop`',
    ],
    ['podFailure', 'fix the pod, then `ramp resume checkout -n shop`; or `ramp abort checkout -n shop`'],
    [
      'routeEdited',
      'undo the edit and `ramp resume checkout -n shop` (Ramp writes its routing again), or `ramp abort checkout -n shop`',
    ],
  ] as const)('names the command that moves a rollout paused for %s on', (kind, line) => {
    const paused = view({ phase: 'Paused', pause: { kind, since: at(5) } });
    expect(waitLine(paused, T0 + 6_000)).toBe(line);
    expect(renderLive(initialLiveState(paused), T0 + 6_000)).toContain(`  ${line}`);
  });

  it('takes a fetched view between events, unless an event newer than it was shown; an event that moves the step drops the old countdown', () => {
    const state = initialLiveState(stepping);
    const fresher = view({
      ...stepping,
      updatedAt: at(3),
      analysis: { metrics: [{ name: 'errors', decision: 'continue', reason: '15 of 20 requests' }] },
    });
    expect(refreshed(state, fresher).view).toBe(fresher);
    expect(refreshed(state, view({ ...stepping, updatedAt: at(1) })).view).toBe(stepping);
    const moved = applyEvent(state, {
      id: '9-1',
      at: at(33),
      type: 'StepStarted',
      message: 'step 3/4',
      phase: 'Progressing',
      step: 2,
    });
    expect(moved.view.waitUntil).toBeUndefined();
    expect(
      applyEvent(state, { id: '9-2', at: at(4), type: 'Analysis', message: 'look', phase: 'Progressing', step: 1 }).view
        .waitUntil,
    ).toBe(at(32));
  });
});
