import fc from 'fast-check';
import {
  fromLabelSelector,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  selectorToString,
} from '../../../src/apiServer/selectors';
import { StatusError } from '../../../src/apiServer/statusError';

describe('label selectors', () => {
  it('parses every operator of the query-string grammar', () => {
    const sel = parseLabelSelector(
      'app=web,tier!=db,env in (prod, staging),track notin (canary),ramp.dev/revision,!legacy,x==y',
    );
    expect(sel).toEqual([
      { key: 'app', op: 'in', values: ['web'] },
      { key: 'tier', op: 'notIn', values: ['db'] },
      { key: 'env', op: 'in', values: ['prod', 'staging'] },
      { key: 'track', op: 'notIn', values: ['canary'] },
      { key: 'ramp.dev/revision', op: 'exists', values: [] },
      { key: 'legacy', op: 'notExists', values: [] },
      { key: 'x', op: 'in', values: ['y'] },
    ]);
  });

  it('matches labels as Kubernetes does (notIn matches a missing key)', () => {
    const sel = parseLabelSelector('app=web,tier!=db,!legacy');
    expect(matchesLabels(sel, { app: 'web' })).toBe(true);
    expect(matchesLabels(sel, { app: 'web', tier: 'db' })).toBe(false);
    expect(matchesLabels(sel, { app: 'web', legacy: '' })).toBe(false);
    expect(matchesLabels(sel, { app: 'api' })).toBe(false);
    expect(matchesLabels([], undefined)).toBe(true);
  });

  it('refuses malformed selectors with a BadRequest', () => {
    for (const bad of ['app=we b', 'in (a)', 'app=(x', '-app=x']) {
      expect(() => parseLabelSelector(bad)).toThrow(StatusError);
    }
  });

  it('converts LabelSelector objects', () => {
    const sel = fromLabelSelector({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'env', operator: 'In', values: ['a', 'b'] },
        { key: 'x', operator: 'DoesNotExist' },
      ],
    });
    expect(matchesLabels(sel, { app: 'web', env: 'b' })).toBe(true);
    expect(matchesLabels(sel, { app: 'web', env: 'c' })).toBe(false);
    expect(matchesLabels(sel, { app: 'web', env: 'a', x: '1' })).toBe(false);
  });

  it('round-trips through its string form', () => {
    const key = fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/);
    const value = fc.stringMatching(/^[a-z0-9]{1,8}$/);
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 5 }), (labels) => {
        const sel = fromLabelSelector({ matchLabels: labels });
        expect(parseLabelSelector(selectorToString(sel))).toEqual(sel);
      }),
      { seed: 42 },
    );
  });
});

describe('field selectors', () => {
  it('selects pods by phase and node and refuses unknown fields', () => {
    const reqs = parseFieldSelector('status.phase!=Failed,spec.nodeName=sandbox', 'Pod');
    expect(matchesFields(reqs, { spec: { nodeName: 'sandbox' }, status: { phase: 'Running' } })).toBe(true);
    expect(matchesFields(reqs, { spec: { nodeName: 'sandbox' }, status: { phase: 'Failed' } })).toBe(false);
    expect(() => parseFieldSelector('spec.replicas=3', 'Deployment')).toThrow(
      'field label not supported: spec.replicas',
    );
  });

  it('selects events by involved object', () => {
    const reqs = parseFieldSelector('involvedObject.name=web,involvedObject.kind=Deployment', 'Event');
    expect(matchesFields(reqs, { involvedObject: { name: 'web', kind: 'Deployment' } })).toBe(true);
    expect(matchesFields(reqs, { involvedObject: { name: 'web', kind: 'Pod' } })).toBe(false);
  });
});
