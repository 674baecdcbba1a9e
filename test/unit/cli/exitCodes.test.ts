import {
  ApiRequestError,
  ApiUnreachableError,
  CliUsageError,
  InvalidApiResponseError,
  PlanValidationError,
  WaitTimeoutError,
} from '../../../src/errors';
import { EXIT_CODES, exitCodeFor, exitCodeForOutcome } from '../../../src/cli/exitCodes';
/** Exit codes: one mapping (src/cli/exitCodes.ts) from outcomes and typed errors. */

describe('exit codes', () => {
  it('0 promoted; 1 rolled back, aborted, failed', () => {
    expect(exitCodeForOutcome('promoted')).toBe(0);
    expect(exitCodeForOutcome('released')).toBe(0);
    expect(exitCodeForOutcome('rolledBack')).toBe(1);
    expect(exitCodeForOutcome('aborted')).toBe(1);
    expect(exitCodeForOutcome('failed')).toBe(1);
  });

  it.each([
    [400, 2],
    [422, 2],
    [413, 2],
    [415, 2],
    [401, 4],
    [403, 4],
    [404, 1],
    [409, 1],
    [500, 1],
    [503, 3],
    [504, 3],
  ])('API status %i exits %i', (status, code) => {
    expect(exitCodeFor(new ApiRequestError(status, 'X', 'no'))).toBe(code);
  });

  it('5 when the app already has an active rollout; any other conflict 1', () => {
    expect(exitCodeFor(new ApiRequestError(409, 'ACTIVE_ROLLOUT_EXISTS', 'busy'))).toBe(EXIT_CODES.busy);
    expect(exitCodeFor(new ApiRequestError(409, 'INVALID_OPERATION', 'no'))).toBe(1);
  });

  it('2 bad input, 3 unreachable or timeout, 1 anything else', () => {
    expect(exitCodeFor(new PlanValidationError([{ path: 'spec', message: 'no' }]))).toBe(EXIT_CODES.badInput);
    expect(exitCodeFor(new CliUsageError('no'))).toBe(2);
    expect(exitCodeFor(new ApiUnreachableError('http://x', 'connection refused'))).toBe(3);
    expect(exitCodeFor(new WaitTimeoutError('a.b.1', '1s', 'Progressing', 'ramp watch b -n a'))).toBe(3);
    expect(exitCodeFor(new InvalidApiResponseError('GET /', ['id: required']))).toBe(1);
    expect(exitCodeFor(new Error('boom'))).toBe(1);
  });

  it('an API error message carries every detail path', () => {
    const e = new ApiRequestError(422, 'INVALID_PLAN', 'the plan has 2 problems', [
      { path: 'spec.replicas', message: 'expected an integer 1–10000' },
      { path: 'spec.strategy.canary.steps[0].setWeight', message: 'expected an integer 0–100' },
    ]);
    expect(e.message).toContain('spec.replicas: expected an integer 1–10000');
    expect(e.message).toContain('spec.strategy.canary.steps[0].setWeight: expected an integer 0–100');
    expect(e.code).toBe('INVALID_PLAN');
  });

  it('a single problem already in the message is not repeated', () => {
    const e = new ApiRequestError(422, 'INVALID_PLAN', 'spec.replicas: expected an integer 1–10000', [
      { path: 'spec.replicas', message: 'expected an integer 1–10000' },
    ]);
    expect(e.message).toBe('spec.replicas: expected an integer 1–10000');
  });

  it('the timeout says the rollout keeps going', () => {
    expect(new WaitTimeoutError('shop.checkout.3', '1s', 'Progressing', 'ramp watch checkout -n shop').message).toMatch(
      /gave up waiting after 1s: rollout shop.checkout.3 is Progressing and keeps going/,
    );
  });
});
