/**
 * The one place that turns Ramp's typed errors into HTTP statuses (the API's error middleware is its
 * only reader): 4xx for what the client can fix, 5xx for what the cluster or Redis could not do now.
 */
import {
  ActiveRolloutExistsError,
  AppRolloutNotFoundError,
  BadRequestError,
  ClosedError,
  ConcurrentUpdateError,
  EndpointNotFoundError,
  ForbiddenError,
  InvalidOperationError,
  isBadInput,
  KubeClientClosedError,
  KubeRequestError,
  KubeTransientError,
  MethodNotAllowedError,
  NoUndoTargetError,
  NothingAdoptedError,
  NotReadyError,
  PayloadTooLargeError,
  PlanValidationError,
  PodPolicyError,
  RolloutExistsError,
  RolloutNotFoundError,
  TooManyRequestsError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
} from '../errors';

type ErrorClass = abstract new (...args: never[]) => Error;

/** HTTP statuses by error class, first match wins (the API's error middleware is the only reader). */
const HTTP_STATUSES: ReadonlyArray<readonly [ErrorClass, number]> = [
  [PlanValidationError, 422],
  [PodPolicyError, 422],
  [BadRequestError, 400],
  [UnauthorizedError, 401],
  [ForbiddenError, 403],
  [EndpointNotFoundError, 404],
  [MethodNotAllowedError, 405],
  [RolloutNotFoundError, 404],
  [AppRolloutNotFoundError, 404],
  [ActiveRolloutExistsError, 409],
  [InvalidOperationError, 409],
  [NoUndoTargetError, 409],
  [NothingAdoptedError, 409],
  [ConcurrentUpdateError, 409],
  [RolloutExistsError, 409],
  [PayloadTooLargeError, 413],
  [UnsupportedMediaTypeError, 415],
  [TooManyRequestsError, 429],
  // The cluster answered with something we did not expect: a gateway error, not ours.
  [KubeRequestError, 502],
  [KubeTransientError, 503],
  [KubeClientClosedError, 503],
  [ClosedError, 503],
  [NotReadyError, 503],
];

/** The HTTP status an error answers with: its class's, 400 for any other bad input, else 500. */
export function httpStatusFor(err: unknown): number {
  for (const [cls, status] of HTTP_STATUSES) if (err instanceof cls) return status;
  return isBadInput(err) ? 400 : 500;
}
