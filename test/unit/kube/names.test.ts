import { InvalidLabelError } from '../../../src/errors';
import {
  appSelector,
  canaryServiceName,
  labelSelector,
  replicaSetName,
  revisionAnnotations,
  revisionLabels,
  revisionSelector,
} from '../../../src/kube/names';

describe('names (DESIGN §3)', () => {
  it('names a revision ReplicaSet <app>-<revision> and the canary Service <service>-canary', () => {
    expect(replicaSetName('checkout', 'b7x2k9q4zd')).toBe('checkout-b7x2k9q4zd');
    expect(canaryServiceName('checkout')).toBe('checkout-canary');
  });

  it('labels, annotates and selects a revision', () => {
    expect(revisionLabels('checkout', 'r1')).toEqual({
      'app.kubernetes.io/name': 'checkout',
      'ramp.dev/app': 'checkout',
      'ramp.dev/revision': 'r1',
    });
    expect(revisionAnnotations('ro-1', 'canary')).toEqual({ 'ramp.dev/rollout': 'ro-1', 'ramp.dev/role': 'canary' });
    expect(revisionSelector({ app: 'checkout' }, 'r1')).toEqual({ app: 'checkout', 'ramp.dev/revision': 'r1' });
  });

  it('builds a label selector with sorted keys', () => {
    expect(labelSelector({ 'ramp.dev/revision': 'r1', app: 'web' })).toBe('app=web,ramp.dev/revision=r1');
    expect(appSelector('web')).toBe('ramp.dev/app=web');
  });

  it.each([
    ['a value with a comma (selector injection)', { app: 'web,ramp.dev/app=other' }],
    ['a value with a space', { app: 'web app' }],
    ['a value starting with a dash', { app: '-web' }],
    ['a value of 64 characters', { app: 'a'.repeat(64) }],
    ['a key with a bad prefix', { 'Ramp_Dev/app': 'web' }],
    ['an empty key name', { 'ramp.dev/': 'web' }],
  ])('refuses %s with InvalidLabelError', (_what, labels) => {
    expect(() => labelSelector(labels)).toThrow(InvalidLabelError);
  });

  it('accepts an empty value and 63 characters', () => {
    expect(labelSelector({ a: '', b: 'x'.repeat(63) })).toBe(`a=,b=${'x'.repeat(63)}`);
  });

  it('refuses a revision that is not a label value', () => {
    expect(() => revisionLabels('web', 'bad revision')).toThrow(InvalidLabelError);
  });
});
