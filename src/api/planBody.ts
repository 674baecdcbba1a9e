/**
 * A create request's body → a validated plan for the namespace in the URL. `metadata.namespace` may be
 * left out (the URL's is used) or must equal the URL's; everything else is the plan schema's job.
 */
import { BadRequestError, PlanValidationError, type FieldProblem } from '../errors';
import { validatePlan } from '../plan/parse';
import type { Plan } from '../plan/schema';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The plan a body holds, in namespace `ns`; PlanValidationError naming every problem (422), BadRequestError when there is no body (400). */
export function planFromBody(body: unknown, ns: string): Plan {
  if (body === undefined)
    throw new BadRequestError('the body must hold the plan (JSON or YAML)', [{ path: 'body', message: 'required' }]);
  const problems: FieldProblem[] = [];
  let input = body;
  if (isObject(body) && isObject(body.metadata)) {
    const given = body.metadata.namespace;
    if (given !== undefined && given !== ns)
      problems.push({
        path: 'metadata.namespace',
        message: `expected "${ns}" (the namespace in the URL) or nothing, got ${JSON.stringify(given)}`,
      });
    // Validated in the URL's namespace either way, so one answer lists every problem at once.
    input = { ...body, metadata: { ...body.metadata, namespace: ns } };
  }
  let plan: Plan | undefined;
  try {
    plan = validatePlan(input);
  } catch (err) {
    if (!(err instanceof PlanValidationError)) throw err;
    problems.push(...err.problems);
  }
  if (problems.length || !plan) throw new PlanValidationError(problems);
  return plan;
}
