/** The one error → HTTP status mapping and the one error body: codes and details by class, nothing internal leaked. */
import {
  ActiveRolloutExistsError,
  AppRolloutNotFoundError,
  BadRequestError,
  ConcurrentUpdateError,
  CorruptRecordError,
  EndpointNotFoundError,
  ForbiddenError,
  InvalidOperationError,
  InvalidOptionError,
  KubeRequestError,
  KubeTransientError,
  NotReadyError,
  PayloadTooLargeError,
  PlanValidationError,
  RolloutNotFoundError,
  UnauthorizedError,
  UnknownImplementationError,
  UnsupportedMediaTypeError,
  NothingAdoptedError,
} from '../../../src/errors';
import { httpStatusFor } from '../../../src/api/errorStatus';
import { errorResponse } from '../../../src/api/errors';
import { errorBodySchema } from '../../../src/api/schemas';

describe('httpStatusFor', () => {
  it.each([
    [new PlanValidationError([{ path: 'spec.replicas', message: 'expected an integer 1–10000' }]), 422],
    [new BadRequestError('bad'), 400],
    [new InvalidOptionError('after', 'expected a stream id'), 400],
    [new UnknownImplementationError('router', 'istio', ['gatewayApi']), 400],
    [new UnauthorizedError('missing'), 401],
    [new ForbiddenError('ci', 'write', 'shop'), 403],
    [new EndpointNotFoundError('GET', '/x'), 404],
    [new RolloutNotFoundError('shop.web.1'), 404],
    [new AppRolloutNotFoundError('shop', 'web'), 404],
    [new ActiveRolloutExistsError('shop', 'web', 'shop.web.2'), 409],
    [new NothingAdoptedError('shop', 'web', 'no Deployment was adopted'), 409],
    [new InvalidOperationError('shop.web.1', 'promote', 'Succeeded', 'the rollout has finished'), 409],
    [new ConcurrentUpdateError('shop.web.1', 32), 409],
    [new PayloadTooLargeError(1024), 413],
    [new UnsupportedMediaTypeError('text/plain', ['application/json']), 415],
    [new KubeRequestError('get', 'namespaces', 403, 'Forbidden', 'forbidden'), 502],
    [new KubeTransientError('get', 'namespaces', 5, 'ECONNREFUSED'), 503],
    [new NotReadyError('redis', 'down'), 503],
    [new CorruptRecordError('shop.web.1', 'k', 'not JSON'), 500],
    [new TypeError("Cannot read properties of undefined (reading 'x')"), 500],
    ['a string', 500],
  ])('%s → %i', (err, status) => {
    expect(httpStatusFor(err)).toBe(status);
  });
});

describe('errorResponse', () => {
  it('carries field problems and the active rollout as details', () => {
    const plan = errorResponse(
      new PlanValidationError([
        { path: 'spec.strategy.canary.steps[2].setWeight', message: 'expected an integer 0–100' },
      ]),
      'r1',
    );
    expect(plan).toEqual({
      status: 422,
      body: {
        error: {
          code: 'INVALID_PLAN',
          message: 'spec.strategy.canary.steps[2].setWeight: expected an integer 0–100',
          details: [{ path: 'spec.strategy.canary.steps[2].setWeight', message: 'expected an integer 0–100' }],
        },
      },
    });
    expect(errorResponse(new ActiveRolloutExistsError('shop', 'web', 'shop.web.2'), 'r1').body.error.details).toEqual([
      { path: 'activeRollout', message: 'shop.web.2' },
    ]);
  });

  it('hides everything about unexpected errors but the request id', () => {
    const err = new TypeError('secret internals at /srv/app.ts:12');
    const { status, body } = errorResponse(err, 'req-42');
    expect(status).toBe(500);
    expect(errorBodySchema.parse(body)).toEqual({
      error: {
        code: 'INTERNAL',
        message: 'internal error; the server log has the details under this request id (req-42)',
        details: [],
      },
    });
    expect(JSON.stringify(body)).not.toContain('secret');
    expect(
      JSON.stringify(
        errorResponse(new CorruptRecordError('shop.web.1', 'ramp:rollout:shop.web.1', 'not JSON'), 'r').body,
      ),
    ).not.toContain('ramp:rollout');
  });

  it('says which dependency is unavailable for a 503', () => {
    expect(errorResponse(new KubeTransientError('get', 'namespaces', 5, 'ECONNREFUSED'), 'r').body.error).toMatchObject(
      { code: 'KUBE_TRANSIENT', message: expect.stringContaining('Kubernetes API') },
    );
  });
});
