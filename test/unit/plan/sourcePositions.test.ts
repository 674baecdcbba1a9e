import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isScalar, LineCounter, parseDocument, visit } from 'yaml';
import { PlanValidationError, type FieldProblem } from '../../../src/errors';
import { parsePlanText } from '../../../src/plan/parse';
import { locateProblems } from '../../../src/plan/sourcePositions';

const TOUR = readFileSync(join(__dirname, '../../fixtures/tour/plan.yaml'), 'utf8');

function problemsOf(text: string): FieldProblem[] {
  try {
    parsePlanText(text);
  } catch (e) {
    if (e instanceof PlanValidationError) return e.problems;
    throw e;
  }
  throw new Error('expected a PlanValidationError');
}

/** The 1-based line of the first line of `text` that starts with `prefix`. */
function lineOf(text: string, prefix: string): number {
  const i = text.split('\n').findIndex((l) => l.startsWith(prefix));
  if (i < 0) throw new Error(`no line starts with ${JSON.stringify(prefix)}`);
  return i + 1;
}

describe('plan problems in the text', () => {
  it('reports one bad indent once, at its root, with its line', () => {
    // The yaml library reports four errors for this one (lines 12 and 14); only the first is the cause.
    const text = TOUR.replace('\n          image:', '\n        image:');
    const problems = problemsOf(text);
    expect(problems).toHaveLength(1);
    expect(problems[0].message).toBe(
      `not valid YAML or JSON (line ${lineOf(text, '        image:')}, column 1): All mapping items must start at the same column`,
    );
  });

  it('says where a required key went when an indent moved it into another mapping', () => {
    const text = TOUR.replace('\n  service:', '\n    service:');
    const [problem, ...more] = problemsOf(text);
    expect(more).toEqual([]);
    expect(problem).toEqual({
      path: 'spec.service',
      line: lineOf(text, 'spec:'),
      column: 1,
      message: `required: expected an object; found \`service:\` at spec.template.service (line ${lineOf(text, '    service:')}, column 5): check its indentation`,
    });
  });

  it('gives a missing key that is nowhere else the position of the mapping that should hold it', () => {
    const text = TOUR.replace(/\n {2}service: .*/, '');
    expect(problemsOf(text)).toEqual([
      { path: 'spec.service', line: lineOf(text, 'spec:'), column: 1, message: 'required: expected an object' },
    ]);
  });

  it('points at the key of a field with a wrong value, inside sequences too', () => {
    const text = TOUR.replace('- pause: { duration: 10s }', '- pause: 10s');
    expect(problemsOf(text)[0]).toMatchObject({
      path: 'spec.strategy.canary.steps[1]',
      line: lineOf(text, '        - pause: 10s'),
      column: 11,
    });
  });

  it('follows keys that hold dots', () => {
    const text = 'spec:\n  labels:\n    ramp.dev/tier: x\n    tier: y\n';
    const [p] = locateProblems(text, [{ path: 'spec.labels.ramp.dev/tier', message: 'bad' }]);
    expect(p).toMatchObject({ line: 3, column: 5 });
  });

  it('leaves a problem as it is when the text is not YAML', () => {
    const problems = [{ path: 'spec', message: 'x' }];
    expect(locateProblems('spec: [1, 2', problems)).toEqual(problems);
  });

  it('places every key of a plan at its own line and column', () => {
    // Each key's path, as problems spell it, must lead back to that key: the whole plan, not a sample.
    const lines = new LineCounter();
    const doc = parseDocument(TOUR, { lineCounter: lines });
    const expected: FieldProblem[] = [];
    visit(doc, {
      Pair(_k, pair, ancestry) {
        if (!isScalar(pair.key)) return;
        let path = '';
        const chain = [...ancestry, pair];
        chain.forEach((node, i) => {
          if (node && typeof node === 'object' && 'key' in node && isScalar(node.key)) {
            const key = String(node.key.value);
            path = path ? `${path}.${key}` : key;
          } else if (node && typeof node === 'object' && 'items' in node && Array.isArray(node.items)) {
            const child = chain[i + 1];
            if (child && !('key' in child)) path += `[${(node.items as unknown[]).indexOf(child)}]`;
          }
        });
        const { line, col } = lines.linePos(pair.key.range?.[0] ?? 0);
        expected.push({ path, message: 'm', line, column: col });
      },
    });
    expect(expected.length).toBeGreaterThan(40);
    const located = locateProblems(
      TOUR,
      expected.map(({ path }) => ({ path, message: 'm' })),
    );
    expect(located).toEqual(expected);
  });
});

describe('a union the input clearly meant', () => {
  it("reports what is wrong inside the alternative, not zod's bare 'Invalid input' for the whole step", () => {
    const text = TOUR.replace(
      /canary:\n(\s+)router: (.*)\n\s+steps:\n[\s\S]*?(\n\s*#|$)/,
      'gray:\n$1router: $2\n$1steps:\n$1  - setSlice: { matches: [{ on: header, name: x-beta, value: "1" }] }\n$1  - setWeight: 20\n$3',
    );
    const problems = problemsOf(text);
    expect(problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'spec.strategy.gray.steps[0].setSlice.matches[0]: expected one of header: { name, value | prefix | regex }, cookie: { name, value | regex }, query: { name, value | regex }',
    ]);
    expect(problems[0].line).toBe(lineOf(text, '        - setSlice:'));
  });
});
