/**
 * What a plan may cost (src/plan/limits.ts) and how large a document a body may be
 * (src/plan/documentLimits.ts): each limit refused with its field path, just below it accepted.
 */
import { PlanValidationError } from '../../../src/errors';
import { demoPlanInput } from '../../../src/cli/demoPlan';
import { parseDuration } from '../../../src/plan/duration';
import { checkValueShape, DOCUMENT_LIMITS, scanYamlText } from '../../../src/plan/documentLimits';
import { PLAN_LIMITS, planLimitProblems } from '../../../src/plan/limits';
import { validatePlan } from '../../../src/plan/parse';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function plan(edit: (p: Json) => void = () => undefined): Json {
  const p = demoPlanInput({
    namespace: 'shop',
    version: 'v1',
    replicas: 2,
    steps: [{ setWeight: 10 }, { pause: { duration: '30s' } }],
    scaleDownDelay: '30s',
    analysis: { interval: '5s', metrics: [] },
  }) as Json;
  edit(p);
  return p;
}

const metric = (i: number) => ({ name: `m${i}`, query: 'vector(1)', threshold: { max: 1 } });

describe('plan limits', () => {
  it('accepts a plan at every limit', () => {
    const p = plan((p) => {
      p.spec.analysis.metrics = Array.from({ length: PLAN_LIMITS.metrics }, (_, i) => metric(i));
      p.spec.analysis.interval = '2s';
      p.spec.strategy.canary.steps = Array.from({ length: PLAN_LIMITS.listItems }, () => ({ setWeight: 10 }));
      p.spec.analysis.metrics[0].query = `vector(1)${' '.repeat(PLAN_LIMITS.queryLength - 9)}`;
      p.spec.progressDeadline = '168h';
    });
    expect(planLimitProblems(p)).toEqual([]);
    expect(() => validatePlan(p)).not.toThrow();
  });

  it.each<[string, (p: Json) => void, { path: string; message: RegExp }]>([
    [
      'too many metrics',
      (p) => (p.spec.analysis.metrics = Array.from({ length: 5000 }, (_, i) => metric(i))),
      { path: 'spec.analysis.metrics', message: /at most 20 metrics, got 5000/ },
    ],
    [
      'too many steps',
      (p) => (p.spec.strategy.canary.steps = Array.from({ length: 10_000 }, () => ({ setWeight: 10 }))),
      { path: 'spec.strategy.canary.steps', message: /at most 100 items, got 10000/ },
    ],
    [
      'a large template',
      (p) => (p.spec.template.metadata.annotations = { big: 'x'.repeat(70_000) }),
      { path: 'spec.template', message: /at most 65536 bytes as JSON/ },
    ],
    [
      'a long query',
      (p) => (p.spec.analysis.metrics = [{ ...metric(0), query: 'x'.repeat(5000) }]),
      { path: 'spec.analysis.metrics[0].query', message: /at most 4096 characters, got 5000/ },
    ],
    [
      'too many queries a second',
      (p) => {
        p.spec.analysis.interval = '1s';
        p.spec.analysis.metrics = Array.from({ length: 11 }, (_, i) => metric(i));
      },
      { path: 'spec.analysis.interval', message: /11 metrics every 1s is 11 queries a second; at most 10/ },
    ],
    [
      'an endless pause',
      (p) => (p.spec.strategy.canary.steps = [{ pause: { duration: `${'9'.repeat(400)}h` } }]),
      { path: 'spec.strategy.canary.steps[0].pause.duration', message: /at most 168h/ },
    ],
    [
      'a pause of 8 days',
      (p) => (p.spec.strategy.canary.steps = [{ pause: { duration: '192h' } }]),
      { path: 'spec.strategy.canary.steps[0].pause.duration', message: /at most 168h, got 192h/ },
    ],
    [
      'a far deadline',
      (p) => (p.spec.progressDeadline = '10000h'),
      { path: 'spec.progressDeadline', message: /at most 168h/ },
    ],
    [
      'a long analyze step',
      (p) => (p.spec.strategy.canary.steps = [{ analyze: { max: '1000h' } }]),
      { path: 'spec.strategy.canary.steps[0].analyze.max', message: /at most 168h/ },
    ],
  ])('refuses %s with a 422 naming the field', (_what, edit, want) => {
    const p = plan(edit);
    expect(planLimitProblems(p)).toEqual([{ path: want.path, message: expect.stringMatching(want.message) }]);
    expect(() => validatePlan(p)).toThrow(PlanValidationError);
  });

  it('reads a duration too large for a number as no duration', () => {
    expect(parseDuration(`${'9'.repeat(400)}h`)).toBeUndefined();
    expect(parseDuration('168h')).toBe(PLAN_LIMITS.durationMs);
  });
});

describe('document limits', () => {
  it('scans YAML text for nesting and size without parsing it', () => {
    expect(scanYamlText('a: [1, [2, {b: 3}]]\n')).toBeUndefined();
    expect(scanYamlText('['.repeat(65))).toEqual({ path: 'body', message: 'nested deeper than 64 levels' });
    expect(scanYamlText(`${'['.repeat(64)}${']'.repeat(64)}`)).toBeUndefined();
    expect(scanYamlText(`[${'1,'.repeat(DOCUMENT_LIMITS.nodes)}1]`)?.message).toMatch(/more than 20000 values/);
    // Brackets inside quoted scalars and comments are text, not collections.
    expect(scanYamlText(`a: "${'['.repeat(100)}"\nb: '${'{'.repeat(100)}'\n# ${'['.repeat(100)}\n`)).toBeUndefined();
    // A realistic plan is far below the limits.
    const text = JSON.stringify(plan(), null, 2);
    expect(scanYamlText(text)).toBeUndefined();
  });

  it('checks decoded values for depth and nodes, however deep (no recursion)', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(checkValueShape(deep)).toEqual({ path: 'body', message: 'nested deeper than 64 levels' });
    expect(checkValueShape(Array.from({ length: 30_000 }, () => 0))?.message).toMatch(/more than 20000 values/);
    expect(checkValueShape(plan())).toBeUndefined();
  });
});
