/**
 * Adoption and release as pure decisions, on a small model of a cluster that has a plain Deployment
 * besides Ramp's ReplicaSets and Services: resolved by the engine's resolve, seen through its strategy
 * view, acted on through its action planner and the Deployment patch the engine sends. Every tick checks
 * the rule that makes a handover safe: clients always have ready pods behind the Service, and the side
 * that gives its pods up does so only once the other side's are ready and selected.
 */
import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import { planActions } from '../../../src/engine/actions';
import { strategyView } from '../../../src/engine/clusterView';
import { isTerminal, RECORD_SCHEMA_VERSION, type RolloutRecord } from '../../../src/engine/record';
import { resolveRelease, resolveRevisions } from '../../../src/engine/resolve';
import { deploymentChanges, type ObservedDeployment } from '../../../src/kube/deploymentState';
import { DEPLOYMENT_ANNOTATIONS, LABELS, revisionLabels } from '../../../src/kube/names';
import type { Observed, ObservedReplicaSet } from '../../../src/kube/observe';
import { compilePlan } from '../../../src/plan/compile';
import { validatePlan } from '../../../src/plan/parse';
import type { Plan } from '../../../src/plan/schema';
import { handoverGoverns, serviceTarget, steadyServices } from '../../../src/strategies/handover';
import { bindStrategy } from '../../../src/strategies/registry';
import type { RevisionRole } from '../../../src/strategies/strategy';
import { InvalidOperationError } from '../../../src/errors';
import { createRng } from '@ramp/sandbox/util/random';
import { deploymentTarget } from '../../../src/strategies/handover';

const SELECTOR = { app: 'checkout' };

function template(version: string): V1PodTemplateSpec {
  return {
    metadata: { labels: { app: 'checkout', tier: 'web' } },
    spec: { containers: [{ name: 'app', image: `ramp.dev/demo-app:${version}` }] },
  };
}

type Strategy = 'canary' | 'canaryPods' | 'blueGreen' | 'rolling';

function plan(strategy: Strategy = 'canary', opts: { adopt?: string | false } = {}): Plan {
  const blocks: Record<Strategy, Record<string, unknown>> = {
    canary: { canary: { router: { gatewayApi: { httpRoute: 'checkout' } }, steps: [{ setWeight: 50 }] } },
    canaryPods: { canary: { steps: [{ setWeight: 50 }] } },
    blueGreen: { blueGreen: {} },
    rolling: { rolling: {} },
  };
  return validatePlan({
    apiVersion: 'ramp.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'checkout', namespace: 'shop' },
    spec: {
      replicas: 4,
      selector: { matchLabels: SELECTOR },
      template: template('v2'),
      service: { name: 'checkout', port: 80 },
      strategy: blocks[strategy],
      analysis: { metrics: [] },
      progressDeadline: '30s',
      ...(opts.adopt === false ? {} : { adopt: { deployment: opts.adopt ?? 'checkout' } }),
    },
  });
}

function pendingRecord(p: Plan, extra: Partial<RolloutRecord> = {}): RolloutRecord {
  const compiled = compilePlan(p);
  return {
    schemaVersion: RECORD_SCHEMA_VERSION,
    id: 'shop.checkout.1',
    namespace: 'shop',
    app: 'checkout',
    seq: 1,
    version: 1,
    createdAt: 0,
    updatedAt: 0,
    attempt: 1,
    plan: p,
    template: null,
    revisions: { new: '' },
    firstDeploy: false,
    phase: 'Pending',
    message: 'created',
    analysis: { metrics: {} },
    strategy: bindStrategy(compiled).initialState(),
    ...extra,
  };
}

/** A Deployment `checkout` of `replicas` pods, all ready, with `annotations`. */
function deployment(replicas: number, annotations: Record<string, string> = {}): ObservedDeployment {
  const t = template('v1');
  return {
    name: 'checkout',
    replicas,
    readyReplicas: replicas,
    updatedReplicas: replicas,
    generation: 1,
    observedGeneration: 1,
    selector: { matchLabels: { app: 'checkout', tier: 'web' } },
    template: t,
    podLabels: { ...t.metadata?.labels },
    annotations,
    adoptedBy: annotations[DEPLOYMENT_ANNOTATIONS.adoptedBy],
    adoptedReplicas: annotations[DEPLOYMENT_ANNOTATIONS.adoptedReplicas]
      ? Number(annotations[DEPLOYMENT_ANNOTATIONS.adoptedReplicas])
      : undefined,
    releasedBy: annotations[DEPLOYMENT_ANNOTATIONS.releasedBy],
    podTemplateHash: 'h1',
  };
}

interface Model {
  rs: Map<string, { spec: number; ready: number; template: V1PodTemplateSpec; role?: RevisionRole }>;
  /** The selector of each role's Service (the stable one is the user's, selecting the Deployment's pods, at first). */
  services: Partial<Record<RevisionRole, Record<string, string>>>;
  dep?: ObservedDeployment;
  /** Revisions whose pods never become ready, or crash-loop. */
  neverReady?: string[];
  crashing?: string[];
  /** The Deployment's pods never become ready. */
  depNeverReady?: boolean;
}

function observed(m: Model, p: Plan): Observed {
  const compiled = compilePlan(p);
  const replicaSets: ObservedReplicaSet[] = [...m.rs].map(([revision, s]) => ({
    name: `checkout-${revision}`,
    revision,
    role: s.role,
    replicas: s.spec,
    status: { replicas: s.spec, readyReplicas: s.ready, availableReplicas: s.ready },
    generation: 1,
    observedGeneration: 1,
    template: {
      ...s.template,
      metadata: { labels: { ...s.template.metadata?.labels, ...revisionLabels('checkout', revision) } },
    },
    createdAt: '2026-01-01T00:00:00Z',
    resourceVersion: '1',
  }));
  const services = Object.fromEntries(
    Object.entries(m.services).map(([role, selector]) => [
      role,
      { name: compiled.service.names[role as RevisionRole], selector: { ...selector }, ports: [{ port: 80 }] },
    ]),
  );
  const pods = Object.fromEntries(
    [...m.rs.keys()].map((rev) => [
      rev,
      m.crashing?.includes(rev)
        ? [
            {
              name: `checkout-${rev}-0`,
              phase: 'Running',
              ready: false,
              restarts: 3,
              problem: { reason: 'CrashLoopBackOff', container: 'app' },
            },
          ]
        : [],
    ]),
  );
  return {
    namespace: 'shop',
    app: 'checkout',
    replicaSets,
    services,
    pods,
    terminating: {},
    ...(m.dep ? { deployment: m.dep } : {}),
    observedAt: 0,
  };
}

/** The labels of the Deployment's pods: its template's and the Deployment controller's pod-template-hash. */
function depPodLabels(d: ObservedDeployment): Record<string, string> {
  return { ...d.podLabels, ...(d.podTemplateHash ? { 'pod-template-hash': d.podTemplateHash } : {}) };
}

/** Whether the stable Service selects pods labelled `labels`. */
function selected(m: Model, labels: Record<string, string>): boolean {
  const selector = m.services.stable;
  return !!selector && Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** Pods that select `selector`'s Service and are ready: the Deployment's and each revision's. */
function servingPods(m: Model, role: RevisionRole = 'stable'): number {
  const selector = m.services[role];
  if (!selector) return 0;
  const matches = (labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
  let n = 0;
  if (m.dep && matches(depPodLabels(m.dep))) n += m.dep.readyReplicas;
  for (const [rev, s] of m.rs)
    if (matches({ ...s.template.metadata?.labels, ...revisionLabels('checkout', rev) })) n += s.ready;
  return n;
}

interface Run {
  record: RolloutRecord;
  phases: string[];
  messages: string[];
  /** At every tick: ready pods behind the stable Service. */
  serving: number[];
  /** The tick at which the Deployment was scaled (to what). */
  depWrites: { tick: number; replicas?: number; annotations?: Record<string, string | null> }[];
  serviceWrites: { tick: number; role: string; revision: string }[];
  /** Ready pods a handover asked to stop while the stable Service still selected them (each a request risked). */
  stoppedWhileSelected: number;
}

/** Runs `record` to the end (or `ticks`), one reconcile a tick, on `m`; `operate` may change the record first. */
function run(
  p: Plan,
  record: RolloutRecord,
  m: Model,
  opts: {
    ticks?: number;
    operate?: (r: RolloutRecord, tick: number) => RolloutRecord | undefined;
    /**
     * A worker killed in this tick's reconcile: before its commit (nothing happens), or after it, with
     * only the first `writes` of its cluster writes made.
     */
    crash?: (tick: number) => { committed: boolean; writes: number } | undefined;
  } = {},
): Run {
  const compiled = compilePlan(p);
  const strategy = bindStrategy(compiled);
  const out: Run = {
    record,
    phases: [record.phase],
    messages: [],
    serving: [],
    depWrites: [],
    serviceWrites: [],
    stoppedWhileSelected: 0,
  };
  for (let tick = 0; tick < (opts.ticks ?? 200); tick++) {
    const now = tick * 1000;
    // Pods asked for last tick are ready now.
    for (const [rev, s] of m.rs)
      if (!m.neverReady?.includes(rev) && !m.crashing?.includes(rev)) s.ready = s.spec;
      else s.ready = Math.min(s.ready, s.spec);
    if (m.dep && !m.depNeverReady) m.dep = { ...m.dep, readyReplicas: m.dep.replicas, updatedReplicas: m.dep.replicas };
    out.serving.push(servingPods(m));
    let r = opts.operate?.(out.record, tick) ?? out.record;
    const seen = observed(m, p);
    if (r.phase === 'Pending') {
      const resolved = r.release ? resolveRelease(r, seen, now) : resolveRevisions(p, r, seen, now);
      r = resolved.record;
      out.messages.push(...resolved.events.map((e) => e.message));
    }
    const view = strategyView(seen);
    const t = strategy.decide({ record: r, observed: view, now });
    const crash = opts.crash?.(tick);
    if (crash && !crash.committed) continue;
    r = t.record;
    out.messages.push(...t.events.map((e) => e.message));
    if (out.phases[out.phases.length - 1] !== r.phase) out.phases.push(r.phase);
    out.record = r;
    // The writes in the engine's order, so a crash can cut them anywhere.
    const writes: (() => void)[] = [];
    if (r.phase !== 'Pending' && (r.revisions.new || r.release)) {
      const desired = strategy.desired(r, view, now);
      for (const a of planActions(desired, view))
        writes.push(() => {
          if (a.kind === 'ensureService') {
            const selector = a.revision === '*' ? { ...SELECTOR } : { ...SELECTOR, [LABELS.revision]: a.revision };
            if (JSON.stringify(m.services[a.role]) !== JSON.stringify(selector))
              out.serviceWrites.push({ tick, role: a.role, revision: a.revision });
            m.services[a.role] = selector;
          } else if (a.kind === 'scaleUp') {
            const cur = m.rs.get(a.revision);
            const tpl = (a.revision === r.revisions.new ? r.template : r.stableTemplate) as V1PodTemplateSpec;
            m.rs.set(a.revision, {
              spec: a.replicas,
              ready: cur?.ready ?? 0,
              template: cur?.template ?? tpl,
              role: a.role,
            });
          } else if (a.kind === 'scaleDown') {
            if (a.after?.ready && (m.rs.get(a.after.ready.revision)?.ready ?? 0) < a.after.ready.pods) return;
            const cur = m.rs.get(a.revision);
            if (!cur) return;
            const labels = { ...cur.template.metadata?.labels, ...revisionLabels('checkout', a.revision) };
            if (handoverGoverns(r) && selected(m, labels))
              out.stoppedWhileSelected += Math.max(0, cur.ready - a.replicas);
            m.rs.set(a.revision, { ...cur, spec: a.replicas, ready: Math.min(cur.ready, a.replicas) });
          }
        });
      writes.push(() => {
        const narrow = serviceTarget(compiled, r, m.dep);
        if (!narrow || JSON.stringify(m.services.stable) === JSON.stringify(narrow)) return;
        out.serviceWrites.push({ tick, role: 'stable', revision: `pod-template-hash=${narrow['pod-template-hash']}` });
        m.services.stable = narrow;
      });
      writes.push(() => {
        const want = deploymentTarget(r, m.dep);
        const patch = m.dep && want && deploymentChanges(m.dep, want.target);
        if (m.dep && want && patch) {
          const annotations = { ...m.dep.annotations };
          for (const [k, v] of Object.entries(want.target.annotations ?? {}))
            if (v === null) delete annotations[k];
            else annotations[k] = v;
          const replicas = want.target.replicas ?? m.dep.replicas;
          if (replicas < m.dep.replicas && selected(m, depPodLabels(m.dep)))
            out.stoppedWhileSelected += Math.max(0, m.dep.readyReplicas - replicas);
          const podLabels = { ...(want.target.template?.metadata?.labels ?? m.dep.podLabels) };
          m.dep = {
            ...deployment(replicas, annotations),
            podTemplateHash: want.target.template ? 'h2' : m.dep.podTemplateHash,
            podLabels,
            readyReplicas: Math.min(m.dep.readyReplicas, replicas),
            updatedReplicas: want.target.template ? 0 : Math.min(m.dep.updatedReplicas, replicas),
          };
          out.depWrites.push({ tick, replicas: want.target.replicas, annotations: { ...want.target.annotations } });
        }
      });
    }
    for (const w of writes.slice(0, crash?.writes ?? writes.length)) w();
    if (isTerminal(r.phase) && strategy.nextWakeup(r, now) === Infinity) break;
    if (r.phase === 'Progressing' && !handoverGoverns(r) && !r.release && r.adoption?.stage === 'done') break;
  }
  return out;
}

/** The model of a Deployment `checkout` of 3 pods behind the user's Service `checkout` (app=checkout). */
function withDeployment(): Model {
  return { rs: new Map(), services: { stable: { ...SELECTOR } }, dep: deployment(3) };
}

/** An adopted app: Ramp's stable revision `s2` (v2) at 4 behind the Service, the Deployment at 0, annotated. */
function adoptedApp(strategy: Strategy): { p: Plan; m: Model; record: RolloutRecord } {
  const p = plan(strategy);
  const routed = strategy === 'canary' || strategy === 'blueGreen';
  const m: Model = {
    rs: new Map([
      ['s1s1s1s1s1', { spec: 0, ready: 0, template: template('v1'), role: 'stable' }],
      ['s2s2s2s2s2', { spec: 4, ready: 4, template: template('v2'), role: 'stable' }],
    ]),
    services: { stable: routed ? { ...SELECTOR, [LABELS.revision]: 's2s2s2s2s2' } : { ...SELECTOR } },
    dep: deployment(0, {
      [DEPLOYMENT_ANNOTATIONS.adoptedBy]: 'shop.checkout.1',
      [DEPLOYMENT_ANNOTATIONS.adoptedReplicas]: '3',
    }),
  };
  const record = pendingRecord(p, {
    id: 'shop.checkout.3',
    seq: 3,
    release: { deployment: 'checkout', replicas: 0, stage: 'scaleUp' },
  });
  return { p, m, record };
}

describe('adoption (pure, on a model cluster)', () => {
  it('creates the stable ReplicaSet from the Deployment, switches the Services once it is ready, then scales the Deployment to 0; the canary starts after', () => {
    const p = plan('canary');
    const m = withDeployment();
    const r = run(p, pendingRecord(p), m);
    const adopted = r.record.revisions.stable ?? '';
    expect(r.record.adoption).toEqual({ deployment: 'checkout', replicas: 3, stage: 'done' });
    expect(r.record.phase).toBe('Progressing');
    // The canary's first step has started: the strategy has the rollout.
    expect(r.messages.join('\n')).toMatch(/adopted Deployment checkout: revision \w+ serves its 3 replicas/);
    expect(m.dep).toMatchObject({ replicas: 0, adoptedBy: 'shop.checkout.1', adoptedReplicas: 3 });
    // Ramp's stable ReplicaSet is the Deployment's template, at the Deployment's size (then the plan's).
    expect(m.rs.get(adopted)?.template.spec?.containers[0].image).toBe('ramp.dev/demo-app:v1');
    const switched = r.serviceWrites.find((w) => w.role === 'stable');
    const scaled = r.depWrites.find((w) => w.replicas === 0);
    expect(switched?.revision).toBe(adopted);
    // Strictly later: the Deployment gives up its pods only once the cluster shows the Service moved.
    expect(scaled && switched && scaled.tick > switched.tick).toBe(true);
    // No tick without ready pods behind the Service clients call, and no pod asked to stop while it selects it.
    expect(Math.min(...r.serving)).toBeGreaterThanOrEqual(3);
    expect(r.stoppedWhileSelected).toBe(0);
  });

  it('with replicaRatio the switch selects the adopted revision alone, so the Deployment’s pods leave the Service before they stop; the strategy widens it after', () => {
    const p = plan('canaryPods');
    const m = withDeployment();
    const r = run(p, pendingRecord(p), m);
    expect(r.record.adoption?.stage).toBe('done');
    // The switch selects the adopted revision alone, so the Deployment's pods leave the Service before they
    // are asked to stop; the strategy widens it to the whole app once it starts.
    const adopted = r.record.revisions.stable ?? '';
    expect(r.serviceWrites.map((w) => w.revision)).toEqual([adopted, '*']);
    expect(m.services.stable).toEqual(SELECTOR);
    expect(r.depWrites.map((w) => w.replicas)).toEqual([0]);
    expect(Math.min(...r.serving)).toBeGreaterThanOrEqual(3);
    expect(r.stoppedWhileSelected).toBe(0);
  });

  it('an image-only plan builds the new version on the Deployment template', () => {
    const base = plan('canary');
    const p = validatePlan({
      ...JSON.parse(JSON.stringify(base)),
      spec: { ...JSON.parse(JSON.stringify(base.spec)), template: undefined, image: 'app=ramp.dev/demo-app:v3' },
    });
    const m = withDeployment();
    const r = run(p, pendingRecord(p), m);
    expect(r.record.adoption?.stage).toBe('done');
    expect(r.record.template?.spec.containers[0].image).toBe('ramp.dev/demo-app:v3');
    expect(r.record.template?.metadata?.labels).toEqual({ app: 'checkout', tier: 'web' });
  });

  it('pods that cannot run fail it before the switch: Ramp’s pods go again, the Service and the Deployment are never touched', () => {
    const p = plan('canary');
    const m = withDeployment();
    const first = run(p, pendingRecord(p), m, { ticks: 1 });
    m.crashing = [first.record.revisions.stable ?? ''];
    const r = run(p, first.record, m);
    expect(r.record).toMatchObject({ phase: 'Failed', outcome: 'failed', adoption: { stage: 'cancelled' } });
    expect(r.record.message).toMatch(/CrashLoopBackOff.*Deployment checkout serves the app as before/);
    expect(r.serviceWrites).toEqual([]);
    expect(r.depWrites).toEqual([]);
    expect(m.dep?.replicas).toBe(3);
    expect(m.rs.get(first.record.revisions.stable ?? '')?.spec).toBe(0);
  });

  it('pods not ready by the progress deadline fail it the same way', () => {
    const p = plan('canary');
    const m = withDeployment();
    const first = run(p, pendingRecord(p), m, { ticks: 1 });
    m.neverReady = [first.record.revisions.stable ?? ''];
    const r = run(p, first.record, m);
    expect(r.record.phase).toBe('Failed');
    expect(r.record.message).toMatch(/0\/3 pods of revision \w+ ready within 30s/);
    expect(r.serviceWrites).toEqual([]);
    expect(m.dep?.replicas).toBe(3);
  });

  it('abort before the switch cancels it (RolledBack, aborted); abort after it lets the handover finish, then rolls back to the adopted revision', () => {
    const p = plan('canary');
    const strategy = bindStrategy(compilePlan(p));
    const m = withDeployment();
    const early = run(p, pendingRecord(p), m, {
      operate: (r, tick) => (tick === 1 ? strategy.operate(r, 'abort', tick * 1000).record : undefined),
    });
    expect(early.record).toMatchObject({ phase: 'RolledBack', outcome: 'aborted', adoption: { stage: 'cancelled' } });
    expect(early.depWrites).toEqual([]);

    const m2 = withDeployment();
    let aborted = false;
    const late = run(p, pendingRecord(p), m2, {
      operate: (r) => {
        if (aborted || r.adoption?.stage !== 'handover') return undefined;
        aborted = true;
        return strategy.operate(r, 'abort', 0).record;
      },
    });
    expect(late.record).toMatchObject({ phase: 'RolledBack', outcome: 'aborted', adoption: { stage: 'done' } });
    expect(m2.dep?.replicas).toBe(0);
    expect(Math.min(...late.serving)).toBeGreaterThanOrEqual(3);
  });

  it('refuses other operations while adopting, saying why', () => {
    const p = plan('canary');
    const m = withDeployment();
    const r = run(p, pendingRecord(p), m, { ticks: 1 });
    expect(() => bindStrategy(compilePlan(p)).operate(r.record, 'promote', 0)).toThrow(InvalidOperationError);
    expect(() => bindStrategy(compilePlan(p)).operate(r.record, 'promote', 0)).toThrow(
      /adopting Deployment checkout: promote applies once the strategy has started/,
    );
  });

  it('shows no traffic to the new revision and no step started while adopting', () => {
    const p = plan('canary');
    const r = run(p, pendingRecord(p), withDeployment(), { ticks: 2 });
    const view = bindStrategy(compilePlan(p)).describe(r.record);
    expect(view.traffic.target.weight).toBe(0);
    expect(view.steps.every((s) => s.state === 'pending')).toBe(true);
    expect(bindStrategy(compilePlan(p)).traffic(r.record).weight).toBe(0);
  });

  it('fails a plan whose Deployment runs pods beside another stable revision of Ramp’s, and ignores the block once adopted', () => {
    const p = plan('canary');
    const m: Model = {
      rs: new Map([['s0s0s0s0s0', { spec: 4, ready: 4, template: template('v0'), role: 'stable' }]]),
      services: { stable: { ...SELECTOR, [LABELS.revision]: 's0s0s0s0s0' } },
      dep: deployment(3),
    };
    const failed = resolveRevisions(p, pendingRecord(p), observed(m, p), 0);
    expect(failed.ok).toBe(false);
    expect(failed.record.message).toMatch(
      /still runs 3 pods beside Ramp's stable revision s0s0s0s0s0.*ramp release checkout/,
    );
    m.dep = deployment(0, { [DEPLOYMENT_ANNOTATIONS.adoptedBy]: 'shop.checkout.1' });
    const fine = resolveRevisions(p, pendingRecord(p), observed(m, p), 0);
    expect(fine.ok).toBe(true);
    expect(fine.record.adoption).toBeUndefined();
    expect(fine.record.revisions.stable).toBe('s0s0s0s0s0');
  });

  it('fails when there is nothing to adopt, naming the Deployment', () => {
    const p = plan('canary');
    const none = resolveRevisions(p, pendingRecord(p), observed({ rs: new Map(), services: {} }, p), 0);
    expect(none.record.message).toBe('spec.adopt: Deployment checkout in namespace shop does not exist');
    const zero = resolveRevisions(
      p,
      pendingRecord(p),
      observed({ rs: new Map(), services: {}, dep: deployment(0) }, p),
      0,
    );
    expect(zero.record.message).toMatch(/has 0 replicas, so there is nothing to adopt/);
  });
});

describe('a worker killed anywhere in a handover’s reconciles (seeded)', () => {
  /** Kills about one reconcile in three: before its commit, or after it with a random share of its writes made. */
  function killer(seed: number): (tick: number) => { committed: boolean; writes: number } | undefined {
    const random = createRng(seed);
    return () => {
      if (random() > 0.35) return undefined;
      return { committed: random() < 0.7, writes: Math.floor(random() * 4) };
    };
  }

  it.each<Strategy>(['canary', 'canaryPods'])(
    '%s: adoption ends the same, never without pods behind the Service',
    (s) => {
      for (let seed = 1; seed <= 30; seed++) {
        const p = plan(s);
        const m = withDeployment();
        const r = run(p, pendingRecord(p), m, { crash: killer(seed) });
        expect({ seed, stage: r.record.adoption?.stage, dep: m.dep?.replicas }).toEqual({
          seed,
          stage: 'done',
          dep: 0,
        });
        expect({ seed, serving: Math.min(...r.serving), stopped: r.stoppedWhileSelected }).toEqual({
          seed,
          serving: 3,
          stopped: 0,
        });
      }
    },
  );

  it.each<Strategy>(['canary', 'canaryPods'])(
    '%s: release ends the same, never without pods behind the Service',
    (s) => {
      for (let seed = 1; seed <= 30; seed++) {
        const { p, m, record } = adoptedApp(s);
        const r = run(p, record, m, { crash: killer(seed) });
        expect({ seed, outcome: r.record.outcome, dep: m.dep?.replicas, adopted: m.dep?.adoptedBy }).toEqual({
          seed,
          outcome: 'released',
          dep: 3,
          adopted: undefined,
        });
        expect({ seed, stopped: r.stoppedWhileSelected }).toEqual({ seed, stopped: 0 });
        expect(Math.min(...r.serving)).toBeGreaterThanOrEqual(3);
      }
    },
  );
});

describe('where each strategy’s Services point at rest (what adoption switches to)', () => {
  it.each<[Strategy, Record<string, string>]>([
    ['canary', { stable: 'r1', canary: 'r1' }],
    ['canaryPods', { stable: '*' }],
    ['blueGreen', { stable: 'r1', preview: 'r1' }],
    ['rolling', { stable: '*' }],
  ])('%s', (s, layout) => {
    const p = plan(s);
    expect(steadyServices(bindStrategy(compilePlan(p)), pendingRecord(p), 'r1')).toEqual(layout);
  });
});

describe('release (pure, on a model cluster)', () => {
  it.each<Strategy>(['canary', 'canaryPods'])(
    '%s: the Deployment comes back at its size with the stable template; once ready the Service selects it alone, Ramp goes to 0, then the Service takes the plan selector',
    (s) => {
      const { p, m, record } = adoptedApp(s);
      const r = run(p, record, m);
      expect(r.record).toMatchObject({
        phase: 'Succeeded',
        outcome: 'released',
        release: { replicas: 3, stage: 'done' },
      });
      expect(r.record.message).toMatch(
        /released: Deployment checkout serves checkout \(3 replicas\); Service checkout selects app=checkout/,
      );
      expect(m.dep).toMatchObject({
        replicas: 3,
        adoptedBy: undefined,
        adoptedReplicas: undefined,
        releasedBy: 'shop.checkout.3',
      });
      expect(m.services.stable).toEqual(SELECTOR);
      expect([...m.rs.values()].every((x) => x.spec === 0)).toBe(true);
      // Narrowed to the Deployment's pods (their new pod-template-hash) before Ramp's go, then widened.
      expect(r.serviceWrites.map((w) => w.revision)).toEqual(['pod-template-hash=h2', '*']);
      expect(r.stoppedWhileSelected).toBe(0);
      // The Deployment runs the version that served (v2), its own selector's labels kept.
      const scaleUp = r.depWrites[0];
      expect(scaleUp).toMatchObject({
        replicas: 3,
        annotations: { [DEPLOYMENT_ANNOTATIONS.releasedBy]: 'shop.checkout.3' },
      });
      expect(Math.min(...r.serving)).toBeGreaterThanOrEqual(3);
    },
  );

  it('carries the stable revision’s template into the Deployment, keeping the labels its selector needs', () => {
    const { p, m, record } = adoptedApp('canary');
    const r = run(p, record, m, { ticks: 1 });
    expect(r.record.release?.stage).toBe('scaleUp');
    const want = deploymentTarget(r.record, m.dep);
    expect(want?.target.template?.spec?.containers[0].image).toBe('ramp.dev/demo-app:v2');
    expect(want?.target.template?.metadata?.labels).toEqual({ app: 'checkout', tier: 'web' });
  });

  it('gives up at the progress deadline when the Deployment’s pods are not ready: back to 0, Ramp never stopped serving', () => {
    const { p, m, record } = adoptedApp('canary');
    m.depNeverReady = true;
    const r = run(p, record, m);
    expect(r.record).toMatchObject({ phase: 'Failed', outcome: 'failed', release: { stage: 'failed' } });
    expect(r.messages.join('\n')).toMatch(/0\/3 pods of Deployment checkout ready within 30s; scaling it back to 0/);
    expect(m.dep?.replicas).toBe(0);
    expect(m.rs.get('s2s2s2s2s2')?.spec).toBe(4);
    expect(r.serviceWrites).toEqual([]);
  });

  it('fails at once when the Deployment is not adopted by the app', () => {
    const { p, m, record } = adoptedApp('canary');
    m.dep = deployment(3);
    const r = run(p, record, m);
    expect(r.record.phase).toBe('Failed');
    expect(r.record.message).toMatch(/is not adopted by a rollout of checkout/);
    expect(r.depWrites).toEqual([]);
  });

  it('refuses every operation (a release runs to its end)', () => {
    const { p, m, record } = adoptedApp('canary');
    const r = run(p, record, m, { ticks: 1 });
    expect(() => bindStrategy(compilePlan(p)).operate(r.record, 'abort', 0)).toThrow(/a release runs to its end/);
  });
});
