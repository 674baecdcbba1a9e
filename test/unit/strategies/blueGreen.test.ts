/**
 * The blue-green strategy on the simulated cluster: the preview behind `<service>-preview` (and its
 * header match), promotion that brings the new revision to full size before one write switches the
 * stable Service, the old revision kept at full size for the scale-down delay, a rollback at any step
 * that points every Service back at the old revision before the new one loses a pod (and after the
 * switch starts no pod), analysis before and after the switch — and the plans it refuses.
 */
import fc from 'fast-check';
import { PlanValidationError } from '../../../src/errors';
import { compilePlan } from '../../../src/plan/compile';
import { validatePlan } from '../../../src/plan/parse';
import type { Plan } from '../../../src/plan/schema';
import type { RolloutRecord } from '../../../src/engine/record';
import { bindStrategy } from '../../../src/strategies/registry';
import type { Decision } from '../../../src/analysis/types';
import type { Operation } from '../../../src/strategies/strategy';
import { initialRecord, simulate, type SimOptions, type SimResult, type SimTick } from './simulator';

const HEADER = { name: 'x-preview', value: '1' };

function plan(
  blueGreen: Record<string, unknown>,
  opts: { router?: 'gatewayApi' | 'replicaRatio'; metrics?: unknown[]; replicas?: number; interval?: string } = {},
): Plan {
  return validatePlan({
    apiVersion: 'ramp.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'checkout', namespace: 'shop' },
    spec: {
      replicas: opts.replicas ?? 10,
      selector: { matchLabels: { app: 'checkout' } },
      image: 'ramp.dev/demo-app:v2',
      service: { name: 'checkout', port: 80 },
      strategy: {
        blueGreen: {
          router: opts.router === 'replicaRatio' ? { replicaRatio: {} } : { gatewayApi: { httpRoute: 'checkout' } },
          ...blueGreen,
        },
      },
      analysis: {
        interval: opts.interval ?? '5s',
        inconclusiveAfter: '30s',
        metrics: opts.metrics ?? [{ name: 'errors', errorRate: { maxRatio: 1.5 } }],
      },
      progressDeadline: '1m',
    },
  });
}

const JUDGED = {
  previewTraffic: { header: HEADER },
  prePromotionAnalysis: { min: '10s' },
  postPromotionAnalysis: { min: '10s' },
  scaleDownDelay: '30s',
};

function problems(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    if (e instanceof PlanValidationError) return e.problems.map((p) => `${p.path}: ${p.message}`);
    throw e;
  }
  return [];
}

interface Watched {
  result: SimResult;
  /** Ticks where the stable Service selected the new revision while it had fewer than all its pods ready. */
  switchedUnready: number;
  /** Ticks where the new revision lost pods while a Service still selected it (during a rollback). */
  shrankWhileSelected: number;
  /** The most pods the new revision had before promotion started. */
  previewMax: number;
  ticks: SimTick[];
}

function run(p: Plan, opts: SimOptions = {}, start?: RolloutRecord): Watched {
  const replicas = p.spec.replicas;
  let switchedUnready = 0;
  let shrankWhileSelected = 0;
  let previewMax = 0;
  let prevNew = 0;
  const ticks: SimTick[] = [];
  const result = simulate(p, start ?? initialRecord(p), {
    services: { stable: 's1' },
    ...opts,
    observe: (t) => {
      const fresh = t.replicaSets.get('c1') ?? { spec: 0, ready: 0 };
      if (t.services.stable === 'c1' && fresh.ready < replicas && t.record.phase !== 'Succeeded') switchedUnready++;
      if (fresh.spec < prevNew && (t.services.stable === 'c1' || t.services.preview === 'c1')) shrankWhileSelected++;
      if (t.record.phase === 'Progressing' || t.record.phase === 'Paused')
        previewMax = Math.max(previewMax, fresh.spec);
      prevNew = fresh.spec;
      ticks.push({ ...t, traffic: { ...t.traffic }, services: { ...t.services } });
      opts.observe?.(t);
    },
  });
  return { result, switchedUnready, shrankWhileSelected, previewMax, ticks };
}

const serviceWrites = (r: SimResult, role: string) =>
  r.changes.filter((c) => c.kind === 'service' && c.role === role).map((c) => `${c.value}@${c.phase}`);
const replicaChanges = (r: SimResult, rev: string) =>
  r.changes.filter((c) => c.kind === 'replicas' && c.revision === rev).map((c) => Number(c.value));

function operateAt(p: Plan, op: Operation, when: (r: RolloutRecord, now: number) => boolean): SimOptions['operate'] {
  let done = false;
  return (rec, now) => {
    if (done || !when(rec, now)) return undefined;
    done = true;
    return bindStrategy(compilePlan(p)).operate(rec, op, now).record;
  };
}

describe('blue-green strategy (simulated cluster)', () => {
  it('previews 3 pods with a header match, scales to 10, switches the stable Service in one write, keeps the old pods for the delay', () => {
    const p = plan({ ...JUDGED, previewReplicas: 3, autoPromote: { after: '20s' } });
    const w = run(p);
    const r = w.result;
    expect(r.record.phase).toBe('Succeeded');
    expect(r.phases).toEqual(['Pending', 'Progressing', 'Promoting', 'Succeeded']);
    expect(r.record.revisions).toEqual({ new: 'c1', stable: 'c1', previousStable: 's1' });
    expect(w.previewMax).toBe(3);
    expect(replicaChanges(r, 'c1')).toEqual([3, 10]);
    expect(replicaChanges(r, 's1')).toEqual([0]);
    expect(serviceWrites(r, 'preview')).toEqual(['c1@Progressing']);
    expect(serviceWrites(r, 'stable')).toEqual(['c1@Promoting']);
    expect(w.switchedUnready).toBe(0);
    // The header match routes test traffic to the preview only while it is live; no weight ever.
    const matched = w.ticks.filter((t) => t.traffic.matches.length > 0);
    expect(matched.length).toBeGreaterThan(0);
    expect(matched.every((t) => t.record.phase === 'Progressing' && t.traffic.weight === 0)).toBe(true);
    expect(w.ticks.every((t) => t.traffic.weight === 0)).toBe(true);
    // Promotion not before 20 s after the preview was ready, the old pods kept 30 s after the switch.
    const readyAt = r.record.strategy.previewReadyAt as number;
    const switchAt = r.changes.find((c) => c.kind === 'service' && c.role === 'stable')!.at;
    const oldDown = r.changes.find((c) => c.revision === 's1' && c.value === 0)!.at;
    expect(r.events.find((e) => e.type === 'Promoting')!.at).toBeGreaterThanOrEqual(readyAt + 20_000);
    expect(oldDown).toBeGreaterThanOrEqual(switchAt + 30_000);
    // Events carry the new revision's share of live traffic: 0 before the switch, 100 after it.
    expect(r.events.find((e) => e.type === 'StepStarted' && e.message.includes('post-promotion'))!.weight).toBe(100);
    expect(r.events.find((e) => e.type === 'Promoted')!.weight).toBe(0);
    expect(r.events.find((e) => e.type === 'Promoting')!.weight).toBe(0);
  });

  it('the post-promotion analysis starts over against the pre-switch windows, and must pass before the old pods go', () => {
    const p = plan({
      ...JUDGED,
      prePromotionAnalysis: { min: '2m' },
      postPromotionAnalysis: { min: '5s', max: '2m' },
      scaleDownDelay: '10s',
    });
    let switchedAt = Infinity;
    const seen: { now: number; metrics: number }[] = [];
    const w = run(p, {
      analysis: (now, rec) => {
        if (rec.strategy.switchedAt !== undefined) {
          switchedAt = Math.min(switchedAt, now);
          seen.push({ now, metrics: Object.keys(rec.analysis.metrics).length });
          return now >= switchedAt + 60_000 ? 'pass' : 'continue';
        }
        return 'pass';
      },
    });
    expect(w.result.record.phase).toBe('Succeeded');
    const oldDown = w.result.changes.find((c) => c.revision === 's1' && c.value === 0)!.at;
    expect(oldDown).toBeGreaterThanOrEqual(switchedAt + 60_000);
    expect(seen.length).toBeGreaterThan(0);
  });

  it('once every pre-switch window has been judged against without a pass, is inconclusive at once and stays so', () => {
    // A promote that cut the preview's analysis short: it kept few windows, and no post max bounds the analysis.
    const p = plan({ ...JUDGED, pause: {}, postPromotionAnalysis: {}, scaleDownDelay: '10s' });
    const w = run(p, {
      analysis: (_now, rec) => (rec.strategy.switchedAt !== undefined ? 'continue' : 'pass'),
      operate: operateAt(p, 'promote', (r, now) => r.phase === 'Paused' && now >= 20_000),
      maxMs: 600_000,
    });
    const r = w.result.record;
    const switchedAt = w.ticks.find((t) => t.record.strategy.switchedAt !== undefined)!.now;
    expect(r.phase).toBe('Paused');
    expect(r.pause?.kind).toBe('inconclusive');
    expect(r.message).toMatch(
      /^paused: the post-promotion analysis has judged against every window the pre-promotion analysis kept for errors \(each is used once\) and has not passed/,
    );
    // It paused when the windows ran out (a few looks after the switch), not after inconclusiveAfter (30 s).
    const pausedAt = w.ticks.find((t) => t.record.pause?.kind === 'inconclusive')!.now;
    expect(pausedAt - switchedAt).toBeLessThan(30_000);
    expect(r.analysis.metrics.errors.baseline).toEqual([]);
    // Nothing resumed it: a later look cannot make it conclusive again.
    expect(w.ticks.filter((t) => t.now > pausedAt).every((t) => t.record.phase === 'Paused')).toBe(true);
  });

  it('judges each pre-switch window once, the most recent first', () => {
    const p = plan({
      ...JUDGED,
      prePromotionAnalysis: { min: '1m' },
      postPromotionAnalysis: { min: '5s', max: '1m' },
      scaleDownDelay: '10s',
    });
    let baselineAtSwitch = -1;
    const left: number[] = [];
    run(p, {
      analysis: (_now, rec) => {
        const b = rec.analysis.metrics.errors?.baseline;
        if (rec.strategy.switchedAt === undefined || !b) return 'pass';
        if (baselineAtSwitch < 0) baselineAtSwitch = b.length;
        left.push(b.length);
        return 'continue';
      },
      maxMs: 600_000,
    });
    // The preview's minute at a 5 s interval kept about a dozen windows; each look after the switch uses one.
    expect(baselineAtSwitch).toBeGreaterThanOrEqual(10);
    expect(left.slice(0, 4)).toEqual([
      baselineAtSwitch,
      baselineAtSwitch - 1,
      baselineAtSwitch - 2,
      baselineAtSwitch - 3,
    ]);
  });

  it('waits at pause until promoted, with the preview judged all along', () => {
    const p = plan({ ...JUDGED, pause: {} });
    const w = run(p, { operate: operateAt(p, 'promote', (r, now) => r.phase === 'Paused' && now >= 60_000) });
    expect(w.result.phases).toEqual(['Pending', 'Progressing', 'Paused', 'Promoting', 'Succeeded']);
    // (The operation's own events are the API's to append; the simulator keeps the record.)
    expect(w.result.changes.find((c) => c.kind === 'service' && c.role === 'stable')!.at).toBeGreaterThanOrEqual(
      60_000,
    );
  });

  it('never promotes a preview whose analysis fails: every Service stays on the old revision, then the preview goes', () => {
    const p = plan({ ...JUDGED, autoPromote: { after: '1m' } });
    const w = run(p, { analysis: (now) => (now >= 15_000 ? 'fail' : 'continue') });
    expect(w.result.record.phase).toBe('RolledBack');
    expect(w.result.record.rollback?.reason).toMatch(/^analysis failed on the preview/);
    expect(serviceWrites(w.result, 'stable')).toEqual([]);
    expect(serviceWrites(w.result, 'preview')).toEqual(['c1@Progressing', 's1@RollingBack']);
    expect(w.shrankWhileSelected).toBe(0);
    expect(replicaChanges(w.result, 's1')).toEqual([]);
  });

  it('without preview traffic the analysis is inconclusive: it pauses, never promotes', () => {
    const p = plan({ ...JUDGED, autoPromote: { after: '0s' } });
    const w = run(p, { analysis: () => 'inconclusive', maxMs: 600_000 });
    expect(w.result.record.phase).toBe('Paused');
    expect(w.result.record.pause?.kind).toBe('inconclusive');
    expect(serviceWrites(w.result, 'stable')).toEqual([]);
  });

  it('a regression after the switch rolls back with one selector write and starts no pod', () => {
    const p = plan(JUDGED);
    let switched = false;
    const w = run(p, {
      analysis: (_now, rec) => {
        switched ||= rec.strategy.switchedAt !== undefined;
        return switched ? 'fail' : 'pass';
      },
    });
    const r = w.result;
    expect(r.record.phase).toBe('RolledBack');
    expect(r.record.rollback?.reason).toMatch(/^analysis failed after the switch/);
    expect(serviceWrites(r, 'stable')).toEqual(['c1@Promoting', 's1@RollingBack']);
    expect(replicaChanges(r, 's1')).toEqual([]);
    expect(w.shrankWhileSelected).toBe(0);
    // The new revision loses its pods only after the cluster showed the Services back.
    const back = r.changes.findIndex((c) => c.kind === 'service' && c.value === 's1' && c.role === 'stable');
    const down = r.changes.findIndex((c) => c.revision === 'c1' && c.value === 0);
    expect(down).toBeGreaterThan(back);
    expect(r.changes[down].at).toBeGreaterThan(r.changes[back].at);
  });

  it('an abort inside the scale-down delay is one selector write back and starts no pod', () => {
    const p = plan({ scaleDownDelay: '1m' }, { metrics: [] });
    const w = run(p, {
      operate: operateAt(p, 'abort', (r) => r.phase === 'Promoting' && r.strategy.switchedAt !== undefined),
    });
    const r = w.result;
    expect(r.record.outcome).toBe('aborted');
    expect(serviceWrites(r, 'stable')).toEqual(['c1@Promoting', 's1@RollingBack']);
    expect(replicaChanges(r, 's1')).toEqual([]);
  });

  it('rolls back at the progress deadline when the preview never becomes ready', () => {
    const p = plan({}, { metrics: [] });
    const w = run(p, { neverReady: ['c1'] });
    expect(w.result.record.phase).toBe('RolledBack');
    expect(w.result.record.rollback?.reason).toContain('progress deadline');
    expect(serviceWrites(w.result, 'stable')).toEqual([]);
  });

  it('rolls back a preview whose pods crash-loop at once, not at the progress deadline, naming the pod; or pauses, as the plan says', () => {
    const p = plan(JUDGED);
    const w = run(p, { crashLooping: (rev) => rev === 'c1' });
    const r = w.result.record;
    expect(r.phase).toBe('RolledBack');
    expect(r.rollback?.reason).toMatch(
      /^pod checkout-c1-\d+ cannot run: CrashLoopBackOff \(exit code 1, 3 restarts\); see kubectl logs -n shop checkout-c1-\d+ --previous$/,
    );
    expect(w.result.endedAt).toBeLessThan(10_000);
    expect(serviceWrites(w.result, 'stable')).toEqual([]);
    expect(w.shrankWhileSelected).toBe(0);

    const paused = plan(JUDGED);
    paused.spec.onPodFailure = 'pause';
    const x = run(paused, { crashLooping: (rev) => rev === 'c1', maxMs: 120_000 }).result.record;
    expect({ phase: x.phase, pause: x.pause?.kind }).toEqual({ phase: 'Paused', pause: 'podFailure' });
    expect(x.message).toMatch(/^paused: pod checkout-c1-\d+ cannot run: CrashLoopBackOff/);
  });

  it('a new pod that cannot run after the switch rolls back inside the scale-down delay with one selector write', () => {
    const p = plan({ scaleDownDelay: '1m' }, { metrics: [] });
    const w = run(p, {
      // A pod that comes back after the switch (a node lost, say) crash-loops.
      crashLooping: (rev, _now, rec) => rev === 'c1' && rec.strategy.switchedAt !== undefined,
      observe: (t) => {
        const fresh = t.replicaSets.get('c1');
        // One of the new pods dies once, 5 s after the switch.
        if (fresh && t.record.strategy.switchedAt === t.now - 5000 && fresh.ready > 0) fresh.ready--;
      },
    });
    const r = w.result;
    expect(r.record.phase).toBe('RolledBack');
    expect(r.record.rollback?.reason).toMatch(/cannot run: CrashLoopBackOff/);
    expect(serviceWrites(r, 'stable')).toEqual(['c1@Promoting', 's1@RollingBack']);
    expect(replicaChanges(r, 's1')).toEqual([]);
  });

  it('promote --full switches at once, skipping both analyses, without a router (the preview Service for test traffic)', () => {
    const p = plan({ ...JUDGED, previewTraffic: { service: {} }, pause: {} }, { router: 'replicaRatio' });
    const w = run(p, {
      analysis: () => 'continue',
      operate: operateAt(p, 'promoteFull', (r, now) => r.phase === 'Progressing' && now >= 5000),
    });
    expect(w.result.record.phase).toBe('Succeeded');
    expect(serviceWrites(w.result, 'stable')).toEqual(['c1@Promoting']);
    expect(w.switchedUnready).toBe(0);
  });

  it('promote while it switches changes nothing and says so; promote --full then skips the analysis after the switch', () => {
    const p = plan({ ...JUDGED, previewReplicas: 3, autoPromote: { after: '20s' } });
    const strategy = bindStrategy(compilePlan(p));
    const seen: (string | undefined)[] = [];
    const w = run(p, {
      operate: (rec, now) => {
        if (seen.length || rec.phase !== 'Promoting' || rec.strategy.switchedAt !== undefined) return undefined;
        const again = strategy.operate(rec, 'promote', now);
        expect(again.record).toEqual(rec);
        expect(again.events).toEqual([]);
        const full = strategy.operate(rec, 'promoteFull', now);
        const fullAgain = strategy.operate(full.record, 'promoteFull', now);
        expect(fullAgain.record).toEqual(full.record);
        seen.push(again.unchanged, full.unchanged, fullAgain.unchanged);
        return full.record;
      },
    });
    expect(seen).toEqual([
      'it is switching already: once the new pods are ready, the stable Service selects them',
      undefined,
      'it is switching already: once the new pods are ready, the stable Service selects them, with no analysis after',
    ]);
    expect(w.result.record.phase).toBe('Succeeded');
    expect(w.result.events.map((e) => e.message)).not.toContainEqual(expect.stringMatching(/post-promotion analysis/));
  });

  it('resuming a post-promotion analysis paused for data goes back to Promoting', () => {
    const p = plan(JUDGED);
    let switched = false;
    const w = run(p, {
      analysis: (now, rec) => {
        switched ||= rec.strategy.switchedAt !== undefined;
        return switched && now < 200_000 ? 'inconclusive' : 'pass';
      },
    });
    expect(w.result.phases).toEqual(['Pending', 'Progressing', 'Promoting', 'Paused', 'Promoting', 'Succeeded']);
  });

  it('refuses bad plans with the field path', () => {
    expect(problems(() => plan({ previewReplicas: 11 }, { metrics: [] }))).toEqual([
      'spec.strategy.blueGreen.previewReplicas: expected at most spec.replicas (10)',
    ]);
    expect(problems(() => plan({ autoPromote: { after: '5m' }, pause: {} }, { metrics: [] }))).toEqual([
      'spec.strategy.blueGreen.pause: expected either autoPromote (promote on its own) or pause (wait for ramp promote), not both',
    ]);
    expect(problems(() => plan({ prePromotionAnalysis: {} }))[0]).toMatch(
      /^spec\.strategy\.blueGreen\.previewTraffic: prePromotionAnalysis judges the preview on test traffic/,
    );
    expect(
      problems(() =>
        plan({ previewTraffic: { header: HEADER }, prePromotionAnalysis: {} }, { router: 'replicaRatio' }),
      ),
    ).toEqual([
      'spec.strategy.blueGreen.previewTraffic.header: a header match needs a router that matches headers (router: { gatewayApi: { httpRoute } }); without one, send test traffic to the preview Service: previewTraffic: { service: {} }',
    ]);
    expect(problems(() => plan({ previewTraffic: { cookie: {} } }, { metrics: [] }))[0]).toMatch(
      /^spec\.strategy\.blueGreen\.previewTraffic: expected exactly one of header/,
    );
    expect(problems(() => plan({ postPromotionAnalysis: {} }))[0]).toMatch(
      /^spec\.strategy\.blueGreen\.postPromotionAnalysis: after the switch the old revision serves nothing/,
    );
    expect(problems(() => plan({}))[0]).toMatch(
      /^spec\.strategy\.blueGreen\.prePromotionAnalysis: spec\.analysis\.metrics are set/,
    );
    expect(
      problems(() =>
        plan(
          { previewTraffic: { service: {} }, prePromotionAnalysis: {} },
          { metrics: [{ name: 'q', query: 'sum(up)', threshold: { max: 1 } }] },
        ),
      )[0],
    ).toMatch(/^spec\.strategy\.blueGreen\.prePromotionAnalysis: the analysis needs an errorRate or latency metric/);
  });

  it('refuses a post-promotion analysis longer than the pre-promotion windows it is judged against', () => {
    const JUDGED_PRE = { previewTraffic: { header: HEADER } };
    expect(
      problems(() =>
        plan({ ...JUDGED_PRE, prePromotionAnalysis: { min: '1m' }, postPromotionAnalysis: { min: '30s', max: '2m' } }),
      ),
    ).toEqual([
      'spec.strategy.blueGreen.postPromotionAnalysis.max: expected at most 1m: the pre-promotion analysis surely lasts only that (prePromotionAnalysis.min), and each of its windows is judged against once after the switch: raise prePromotionAnalysis.min to at least 2m or lower this',
    ]);
    // Without a max, the min is what must fit; autoPromote.after lengthens what the preview surely keeps.
    expect(
      problems(() => plan({ ...JUDGED_PRE, prePromotionAnalysis: {}, postPromotionAnalysis: { min: '10s' } })),
    ).toEqual([
      'spec.strategy.blueGreen.postPromotionAnalysis.min: the pre-promotion analysis may end at its first pass, keeping few windows, and each of its windows is judged against once after the switch: set prePromotionAnalysis.min to at least 10s',
    ]);
    expect(
      problems(() =>
        plan({
          ...JUDGED_PRE,
          prePromotionAnalysis: { min: '1m' },
          autoPromote: { after: '5m' },
          postPromotionAnalysis: { max: '5m' },
        }),
      ),
    ).toEqual([]);
    // At a 1 s interval the 120 windows a record keeps span at least 2 minutes.
    expect(
      problems(() =>
        plan(
          { ...JUDGED_PRE, prePromotionAnalysis: { min: '10m' }, postPromotionAnalysis: { max: '5m' } },
          { interval: '1s' },
        ),
      ),
    ).toEqual([
      'spec.strategy.blueGreen.postPromotionAnalysis.max: expected at most 2m: the analysis keeps its latest 120 windows, none shorter than analysis.interval (1s), and each of its windows is judged against once after the switch: lengthen analysis.interval or lower this',
    ]);
  });

  it('lint shows its steps', () => {
    const p = plan({ ...JUDGED, previewReplicas: 3, autoPromote: { after: '5m' } });
    expect(
      bindStrategy(compilePlan(p))
        .describe()
        .steps.map((s) => s.description),
    ).toEqual([
      'preview: 3 pods behind checkout-preview',
      'pre-promotion analysis of requests with header x-preview=1 (min 10s)',
      'promote 5m after the preview is ready',
      'scale the new revision to 10 pods, all ready',
      'switch checkout to the new revision (one selector write)',
      "post-promotion analysis of live traffic against the old revision's last windows (min 10s)",
      "keep the old revision's pods for 30s, then scale it down",
    ]);
  });

  it('keeps its invariants for any plan, verdicts and operations (property)', () => {
    const verdicts: Decision[] = ['pass', 'continue', 'fail', 'inconclusive'];
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 12 }),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom('auto', 'pause', 'none'),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 300 }), fc.constantFrom(...verdicts)), { maxLength: 4 }),
        fc.option(
          fc.tuple(fc.integer({ min: 0, max: 300 }), fc.constantFrom<Operation>('abort', 'promote', 'promoteFull')),
          {
            nil: undefined,
          },
        ),
        fc.double({ min: 0.3, max: 1, noNaN: true }),
        (replicas, preview, pre, post, promotion, script, op, readyChance) => {
          const p = plan(
            {
              previewReplicas: Math.min(preview, replicas),
              ...(pre ? { previewTraffic: { header: HEADER }, prePromotionAnalysis: { min: '10s', max: '2m' } } : {}),
              ...(pre && post ? { postPromotionAnalysis: { min: '5s', max: '10s' } } : {}),
              ...(promotion === 'auto'
                ? { autoPromote: { after: '10s' } }
                : promotion === 'pause'
                  ? { pause: {} }
                  : {}),
              scaleDownDelay: '20s',
            },
            { replicas, metrics: pre ? undefined : [] },
          );
          // The analysis answers by the script: the latest entry at or before now, pass before any.
          const answer = (now: number): Decision =>
            [...script]
              .sort((a, b) => a[0] - b[0])
              .filter(([at]) => at * 1000 <= now)
              .pop()?.[1] ?? 'pass';
          const strategy = bindStrategy(compilePlan(p));
          let operated = false;
          const w = run(p, {
            analysis: answer,
            readyChance,
            maxMs: 1_200_000,
            operate: (rec, now) => {
              // Every manual pause is promoted after a minute; the scripted operation happens once, if it fits.
              let out: RolloutRecord | undefined;
              if (rec.phase === 'Paused' && rec.pause?.kind !== 'inconclusive' && now % 60_000 === 0)
                out = strategy.operate(rec, 'promote', now).record;
              if (!operated && op && now >= op[0] * 1000) {
                operated = true;
                try {
                  out = strategy.operate(out ?? rec, op[1], now).record;
                } catch {
                  // An operation that does not fit the phase is refused (InvalidOperationError).
                }
              }
              if (rec.phase === 'Paused' && rec.pause?.kind === 'inconclusive' && now % 120_000 === 0)
                try {
                  out = strategy.operate(out ?? rec, 'abort', now).record;
                } catch {
                  // already rolling back
                }
              return out;
            },
          });
          const r = w.result.record;
          expect(['Succeeded', 'RolledBack']).toContain(r.phase);
          // The stable Service selects the new revision only once all its pods are ready, and it is the only write to it before a rollback.
          expect(w.switchedUnready).toBe(0);
          expect(w.shrankWhileSelected).toBe(0);
          expect(w.previewMax).toBeLessThanOrEqual(Math.min(preview, replicas));
          // The old revision never lost a pod before the promotion ended.
          expect(
            w.result.changes.some((c) => c.revision === 's1' && Number(c.value) < replicas && c.phase !== 'Succeeded'),
          ).toBe(false);
          const stableWrites = serviceWrites(w.result, 'stable');
          if (r.phase === 'Succeeded') expect(stableWrites).toEqual(['c1@Promoting']);
          else expect(stableWrites).toEqual(stableWrites.length ? ['c1@Promoting', 's1@RollingBack'] : []);
          // No promotion on a failed verdict seen before the switch without a human promote.
        },
      ),
      { seed: 5, numRuns: 200 },
    );
  });
});
