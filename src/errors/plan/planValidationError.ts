import { RampError } from '../rampError';
import type { BadInput } from '../markers';

export interface FieldProblem {
  /** Where, as users write it: `spec.strategy.canary.steps[2].setWeight`. */
  path: string;
  message: string;
  /** Where in the plan's text (1-based), when the problem was found in text Ramp was given. */
  line?: number;
  column?: number;
}

/** `spec.replicas (line 5, column 3)`, or the path alone when the text position is unknown. */
export function problemWhere(p: FieldProblem): string {
  const at = p.line !== undefined ? ` (line ${p.line}, column ${p.column ?? 1})` : '';
  return `${p.path || '(document)'}${at}`;
}

/** A plan (or a request body) that does not validate; every problem names its field. */
export class PlanValidationError extends RampError implements BadInput {
  readonly code = 'INVALID_PLAN';
  readonly badInput = true as const;

  constructor(readonly problems: FieldProblem[]) {
    super(
      problems.length === 1
        ? `${problems[0].path ? problemWhere(problems[0]) + ': ' : ''}${problems[0].message}`
        : `the plan has ${problems.length} problems:\n${problems.map((p) => `  ${problemWhere(p)}: ${p.message}`).join('\n')}`,
    );
  }
}
