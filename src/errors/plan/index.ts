/** The plan layer's errors. */
export { PlanValidationError, problemWhere, type FieldProblem } from './planValidationError';
export { UnknownImplementationError } from './unknownImplementationError';
export { PodPolicyError } from './podPolicyError';
