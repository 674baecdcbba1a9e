/**
 * Plan text (YAML or JSON) → a validated plan, or a PlanValidationError listing every problem with its
 * field path (`spec.strategy.canary.steps[2].setWeight: expected an integer 0–100`). The API, the CLI's
 * `lint` and the worker all come through here.
 */
import { PlanValidationError, type FieldProblem } from '../errors';
import type { z } from 'zod';
import { schemaProblems } from '@ramp/kube-schemas';
import { planSchema, type Plan } from './schema';
import { readOneDocument } from './document';
import { planLimitProblems } from './limits';
import { locateProblems } from './sourcePositions';

/** `['spec', 'steps', 2, 'setWeight']` → `spec.steps[2].setWeight`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : acc ? `${acc}.${String(seg)}` : String(seg)),
    '',
  );
}

/** zod issues as field problems, unknown keys named one by one. */
export function issuesToProblems(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PropertyKey[] = [],
): FieldProblem[] {
  const out: FieldProblem[] = [];
  for (const i of issues) {
    const path = [...prefix, ...i.path];
    const branch = i.code === 'invalid_union' && i.message === 'Invalid input' ? matchedBranch(i.errors) : undefined;
    if (branch) {
      out.push(...issuesToProblems(branch, path));
    } else if (i.code === 'unrecognized_keys') {
      for (const k of i.keys) out.push({ path: formatPath([...path, k]), message: 'unknown field' });
    } else if (i.code === 'invalid_type' && i.input === undefined) {
      // zod's own wording ("Invalid input: expected object, received undefined") says less than the schema's.
      const message = i.message.startsWith('Invalid input') ? `expected ${withArticle(i.expected)}` : i.message;
      out.push({ path: formatPath(path), message: `required: ${message}` });
    } else out.push({ path: formatPath(path), message: i.message });
  }
  return out;
}

/**
 * The alternative of a union the input meant, when one is clear: the only one whose own keys it has
 * (no unknown or missing key at its top), so that `setSlice: { matches: [bad] }` reports what is wrong
 * inside the match rather than zod's bare "Invalid input" for the whole step.
 */
function matchedBranch(branches: readonly (readonly z.core.$ZodIssue[])[]): readonly z.core.$ZodIssue[] | undefined {
  const fits = branches.filter(
    (b) =>
      b.length > 0 &&
      !b.some(
        (i) =>
          i.path.length <= 1 &&
          (i.code === 'unrecognized_keys' || (i.code === 'invalid_type' && i.input === undefined)),
      ),
  );
  return fits.length === 1 ? fits[0] : undefined;
}

/** `object` → `an object`, `string` → `a string`. */
function withArticle(type: string): string {
  return `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}

/** Validates a parsed document as a plan: its limits (src/plan/limits.ts), its schema, its pod template. */
export function validatePlan(input: unknown): Plan {
  const limits = planLimitProblems(input);
  if (limits.length) throw new PlanValidationError(limits);
  const r = planSchema.safeParse(input, { reportInput: true });
  if (!r.success) throw new PlanValidationError(issuesToProblems(r.error.issues));
  const plan = r.data;
  if (plan.spec.template) {
    // The template is a Kubernetes PodTemplateSpec: checked against Kubernetes' own schema.
    const problems = schemaProblems(
      'apis/apps/v1',
      'io.k8s.api.core.v1.PodTemplateSpec',
      plan.spec.template,
      'spec.template',
    ).map((c) => ({
      path: c.field ?? 'spec.template',
      message: c.message,
    }));
    if (problems.length) throw new PlanValidationError(problems);
  }
  return plan;
}

/** Parses YAML or JSON text (one document) and validates it. */
export function parsePlanText(text: string): Plan {
  const doc = readOneDocument(text);
  if (!doc.ok) throw new PlanValidationError(doc.problems);
  try {
    return validatePlan(doc.value);
  } catch (err) {
    if (err instanceof PlanValidationError) throw new PlanValidationError(locateProblems(text, err.problems));
    throw err;
  }
}
