/** Reading plans: files, standard input (`-f -`), and refusals that say what is wrong. */
import { CliUsageError, PlanValidationError } from '../../../src/errors';
import { exitCodeFor } from '../../../src/cli/exitCodes';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parsePlanDocument, planNamespace, readPlanText, withNamespace } from '../../../src/cli/planFile';

describe('plan files', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'ramp-planfile-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file, or standard input for -f -', async () => {
    writeFileSync(join(dir, 'p.yaml'), 'kind: Rollout\n');
    expect(await readPlanText(join(dir, 'p.yaml'))).toBe('kind: Rollout\n');
    expect(await readPlanText('-', Readable.from([Buffer.from('kind: '), 'Rollout\n']))).toBe('kind: Rollout\n');
  });

  it('refuses a missing -f or file as bad input', async () => {
    await expect(readPlanText(undefined)).rejects.toThrow(/pass -f plan.yaml \(or -f - /);
    const err = await readPlanText(join(dir, 'nope.yaml')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliUsageError);
    expect((err as Error).message).toMatch(/nope.yaml: no such file/);
    expect(exitCodeFor(err)).toBe(2);
  });

  it('parses YAML or JSON documents and refuses the rest with a line number', () => {
    expect(parsePlanDocument('{"kind": "Rollout"}')).toEqual({ kind: 'Rollout' });
    expect(() => parsePlanDocument('a: [1,\n')).toThrow(PlanValidationError);
    expect(() => parsePlanDocument('a: [1,\n')).toThrow(/line \d+/);
    expect(() => parsePlanDocument('- 1\n')).toThrow(/expected a plan: a mapping/);
    expect(() => parsePlanDocument('a: 1\n---\nb: 2\n')).toThrow(/expected one plan document, found 2/);
    expect(() => parsePlanDocument('')).toThrow(/the plan is empty/);
  });

  it('reads and sets metadata.namespace', () => {
    const doc = parsePlanDocument('metadata: { name: checkout }');
    expect(planNamespace(doc)).toBeUndefined();
    expect(planNamespace(withNamespace(doc, 'shop'))).toBe('shop');
    expect(withNamespace(doc, 'shop').metadata).toEqual({ name: 'checkout', namespace: 'shop' });
  });
});
