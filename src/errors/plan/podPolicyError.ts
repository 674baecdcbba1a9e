import { RampError } from '../rampError';
import type { BadInput } from '../markers';
import type { FieldProblem } from './planValidationError';

/**
 * A pod template the operator's pod policy refuses (Pod Security Standards level, service account),
 * found where a ReplicaSet was about to be created: the plan was accepted under another policy, or its
 * template came from the cluster (`image:` plans).
 */
export class PodPolicyError extends RampError implements BadInput {
  readonly code = 'POD_POLICY';
  readonly badInput = true as const;

  constructor(
    readonly namespace: string,
    readonly problems: FieldProblem[],
  ) {
    super(
      `the pod policy of namespace ${namespace} refuses the pod template: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
    );
  }
}
