import { RampError } from '../rampError';
import type { BadInput } from '../markers';

export interface FieldProblem {
  /** Where, as users write it: `spec.strategy.canary.steps[2].setWeight`. */
  path: string;
  message: string;
}

/** A plan (or a request body) that does not validate; every problem names its field. */
export class PlanValidationError extends RampError implements BadInput {
  readonly code = 'INVALID_PLAN';
  readonly badInput = true as const;

  constructor(readonly problems: FieldProblem[]) {
    super(
      problems.length === 1
        ? `${problems[0].path ? problems[0].path + ': ' : ''}${problems[0].message}`
        : `the plan has ${problems.length} problems:\n${problems.map((p) => `  ${p.path ? p.path + ': ' : ''}${p.message}`).join('\n')}`,
    );
  }
}
