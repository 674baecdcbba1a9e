/**
 * Blue-green and rolling rollouts as the CLI shows them, with no knowledge of either: the API view of
 * simulated records rendered by the live view, and the live view folded from the events those rollouts
 * emit (what `ramp rollout --wait` and `ramp watch` draw, and what CI's plain lines print).
 */
import { eventView, rolloutView } from '../../../src/api/views';
import { eventLine } from '../../../src/cli/output/eventLine';
import { applyEvent, initialLiveState, renderLive } from '../../../src/cli/output/liveView';
import type { RolloutRecord } from '../../../src/engine/record';
import { validatePlan } from '../../../src/plan/parse';
import type { Plan } from '../../../src/plan/schema';
import { initialRecord, simulate } from '../strategies/simulator';

function plan(strategy: Record<string, unknown>): Plan {
  return validatePlan({
    apiVersion: 'ramp.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'checkout', namespace: 'shop' },
    spec: {
      replicas: 4,
      selector: { matchLabels: { app: 'checkout' } },
      image: 'ramp.dev/demo-app:v2',
      service: { name: 'checkout', port: 80 },
      strategy,
      analysis: { interval: '5s', metrics: [{ name: 'errors', errorRate: { maxRatio: 1.5 } }] },
    },
  });
}

/** The records at every tick, and every event, of a simulated rollout. */
function story(p: Plan): { records: RolloutRecord[]; events: ReturnType<typeof simulate>['events'] } {
  const records: RolloutRecord[] = [];
  const r = simulate(p, initialRecord(p), {
    services: { stable: 's1' },
    observe: (t) => records.push({ ...t.record, updatedAt: t.now, createdAt: 0 }),
  });
  return { records, events: r.events };
}

const BLUE_GREEN = plan({
  blueGreen: {
    router: { gatewayApi: { httpRoute: 'checkout' } },
    previewReplicas: 2,
    previewTraffic: { header: { name: 'x-preview', value: '1' } },
    prePromotionAnalysis: { min: '10s' },
    postPromotionAnalysis: { min: '10s' },
    scaleDownDelay: '30s',
  },
});

const ROLLING = plan({
  rolling: { maxSurge: 1, maxUnavailable: 0, batches: ['25%', { replicas: 2, analyze: { min: '10s' } }, 4] },
});

describe('strategies in the CLI', () => {
  it('blue-green: the preview with its header match, then 100% after the switch with the post-promotion step current', () => {
    const { records } = story(BLUE_GREEN);
    const preview = records.find((r) => r.phase === 'Progressing' && r.strategy.stepIndex === 1)!;
    const lines = renderLive(initialLiveState(rolloutView(preview)), 0);
    expect(lines.slice(1, 8)).toEqual([
      '  ✓ 1. preview: 2 pods behind checkout-preview',
      '  ▶ 2. pre-promotion analysis of requests with header x-preview=1 (min 10s)',
      '  · 3. promote once the preview is ready',
      '  · 4. scale the new revision to 4 pods, all ready',
      '  · 5. switch checkout to the new revision (one selector write)',
      "  · 6. post-promotion analysis of live traffic against the old revision's last windows (min 10s)",
      "  · 7. keep the old revision's pods for 30s, then scale it down",
    ]);
    expect(lines[8]).toBe('  preview [░░░░░░░░░░░░░░░░░░░░] 0%  s1 → c1');
    expect(rolloutView(preview).traffic.target.matches).toEqual(['header x-preview=1']);
    const post = records.find((r) => r.phase === 'Promoting' && r.strategy.stepIndex === 5)!;
    const after = renderLive(initialLiveState(rolloutView(post)), 0);
    expect(after[0]).toContain('Promoting · step 6/7');
    expect(after[5]).toBe('  ✓ 5. switch checkout to the new revision (one selector write)');
    expect(after[6]).toMatch(/^ {2}▶ 6\. post-promotion analysis/);
    expect(after[8]).toBe('  preview [████████████████████] 100%  s1 → c1');
  });

  it('blue-green: the events fold into the same live view, and print as plain lines with the live share', () => {
    const { events } = story(BLUE_GREEN);
    const views = events.map((e, i) => eventView({ id: `${i}-0`, event: e }));
    const first = rolloutView(initialRecord(BLUE_GREEN));
    const promoting = views.findIndex((e) => e.type === 'StepStarted' && e.message.includes('post-promotion'));
    const live = views.slice(0, promoting + 1).reduce(applyEvent, initialLiveState(first));
    const lines = renderLive(live, 0);
    expect(lines.filter((l) => l.includes('✓'))).toHaveLength(5);
    expect(lines.find((l) => l.includes('▶'))).toMatch(/6\. post-promotion analysis/);
    expect(lines).toContain('  preview [████████████████████] 100%  s1 → c1');
    const plain = views.map((e) => eventLine(e, 7));
    expect(plain.find((l) => l.includes('Succeeded'))).toMatch(/Succeeded steps done \(7\/7\) weight 0% — promoted/);
    expect(plain.find((l) => l.includes('switch checkout'))).toMatch(/Promoting step 5\/7 weight 0% — /);
  });

  it('rolling: batches and gates, the new pods’ share, and the share of ready pods as observed', () => {
    const { records, events } = story(ROLLING);
    const gate = records.find((r) => r.phase === 'Progressing' && r.strategy.stepIndex === 2)!;
    const withCluster: RolloutRecord = {
      ...gate,
      cluster: {
        revisions: [
          { revision: 's1', replicas: 2, ready: 2 },
          { revision: 'c1', replicas: 2, ready: 1 },
        ],
      },
    };
    const lines = renderLive(initialLiveState(rolloutView(withCluster)), 0);
    expect(lines.slice(1, 5)).toEqual([
      '  ✓ 1. batch 1/3: 1 of 4 pods new (25%)',
      '  ✓ 2. batch 2/3: 2 of 4 pods new',
      '  ▶ 3. analyze (min 10s)',
      '  · 4. batch 3/3: 4 of 4 pods new',
    ]);
    expect(lines[5]).toBe('  new [██████████░░░░░░░░░░] 50% (actual 33.3%)  s1 → c1');
    const plain = events.map((e, i) => eventLine(eventView({ id: `${i}-0`, event: e }), 4));
    expect(plain.filter((l) => l.includes('new pods'))).toEqual([
      expect.stringMatching(/Progressing step 1\/4 weight 25% — new pods 0 → 1 of 4$/),
      expect.stringMatching(/Progressing step 2\/4 weight 50% — new pods 1 → 2 of 4$/),
    ]);
  });
});
