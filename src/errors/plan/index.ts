/** The plan layer's errors. */
export { PlanValidationError, type FieldProblem } from './planValidationError';
export { UnknownImplementationError } from './unknownImplementationError';
export { PodPolicyError } from './podPolicyError';
