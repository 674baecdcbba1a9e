/**
 * What Ramp reads of a Deployment and the one patch it writes: label selectors evaluated as the API
 * server does, the merge patch of only what differs (none when nothing does), and the adopted
 * Deployment found by its annotation.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import { adoptedDeployment } from '../../../src/engine/release';
import {
  currentPodTemplateHash,
  deploymentChanges,
  deploymentReady,
  mergePatchBetween,
  toObservedDeployment,
} from '../../../src/kube/deploymentState';
import { describeSelector, selectorMatches, serviceSelects } from '../../../src/kube/labelSelectors';

const raw: V1Deployment = {
  metadata: {
    name: 'checkout',
    generation: 3,
    annotations: { 'ramp.dev/adopted-by': 'shop.checkout.4', 'ramp.dev/adopted-replicas': '3' },
  },
  spec: {
    replicas: 0,
    selector: { matchLabels: { app: 'checkout' } },
    template: {
      metadata: { labels: { app: 'checkout' } },
      spec: { containers: [{ name: 'app', image: 'v1', imagePullPolicy: 'IfNotPresent' }], dnsPolicy: 'ClusterFirst' },
    },
  },
  status: { observedGeneration: 3 },
};

describe('label selectors', () => {
  it('match as the API server evaluates them', () => {
    const labels = { app: 'checkout', tier: 'web' };
    expect(selectorMatches({ matchLabels: { app: 'checkout' } }, labels)).toBe(true);
    expect(selectorMatches({ matchLabels: { app: 'checkout', tier: 'db' } }, labels)).toBe(false);
    expect(
      selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'api'] }] }, labels),
    ).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['web'] }] }, labels)).toBe(
      false,
    );
    expect(selectorMatches({ matchExpressions: [{ key: 'canary', operator: 'DoesNotExist' }] }, labels)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'canary', operator: 'Exists' }] }, labels)).toBe(false);
    expect(selectorMatches({}, labels)).toBe(true);
    expect(selectorMatches(undefined, labels)).toBe(false);
  });

  it('a Service without a selector selects no pod', () => {
    expect(serviceSelects(undefined, { app: 'x' })).toBe(false);
    expect(serviceSelects({}, { app: 'x' })).toBe(false);
    expect(serviceSelects({ app: 'x' }, { app: 'x', v: '1' })).toBe(true);
  });

  it('are shown as kubectl shows them', () => {
    expect(
      describeSelector({
        matchLabels: { app: 'a' },
        matchExpressions: [
          { key: 't', operator: 'In', values: ['x', 'y'] },
          { key: 'c', operator: 'DoesNotExist' },
        ],
      }),
    ).toBe('app=a,t in (x,y),!c');
    expect(describeSelector({ app: 'a', tier: 'web' })).toBe('app=a,tier=web');
  });
});

describe('a Deployment as Ramp reads and writes it', () => {
  const d = toObservedDeployment(raw);

  it('reads its size, readiness and Ramp’s annotations', () => {
    expect(d).toMatchObject({ name: 'checkout', replicas: 0, adoptedBy: 'shop.checkout.4', adoptedReplicas: 3 });
    expect(deploymentReady(d, 0)).toBe(true);
    expect(deploymentReady({ ...d, replicas: 3, readyReplicas: 3, updatedReplicas: 2 }, 3)).toBe(false);
    expect(deploymentReady({ ...d, replicas: 3, readyReplicas: 3, updatedReplicas: 3, generation: 4 }, 3)).toBe(false);
    expect(
      toObservedDeployment({ ...raw, metadata: { annotations: { 'ramp.dev/adopted-replicas': 'x' } } }).adoptedReplicas,
    ).toBe(undefined);
  });

  it('patches only what differs, and nothing when nothing does (no write)', () => {
    const adopted = { 'ramp.dev/adopted-by': 'shop.checkout.4', 'ramp.dev/adopted-replicas': '3' };
    expect(deploymentChanges(d, { replicas: 0, annotations: adopted })).toBeUndefined();
    expect(deploymentChanges(d, { replicas: 3 })).toEqual({ spec: { replicas: 3 } });
    expect(deploymentChanges(d, { annotations: { 'ramp.dev/adopted-by': null, 'ramp.dev/nope': null } })).toEqual({
      metadata: { annotations: { 'ramp.dev/adopted-by': null } },
    });
  });

  it('writes a template only with another change, as a merge patch that removes what it no longer has', () => {
    const template = {
      metadata: { labels: { app: 'checkout' } },
      spec: { containers: [{ name: 'app', image: 'v2' }] },
    };
    expect(deploymentChanges(d, { replicas: 0, template })).toBeUndefined();
    expect(deploymentChanges(d, { replicas: 3, template })).toEqual({
      spec: { replicas: 3, template: { spec: { containers: [{ name: 'app', image: 'v2' }], dnsPolicy: null } } },
    });
  });

  it('knows its pods’ pod-template-hash only when one of its own ReplicaSets has them all', () => {
    const rs = (hash: string, replicas: number, uid = 'd1') => ({
      metadata: {
        labels: { app: 'checkout', 'pod-template-hash': hash },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'checkout', uid, controller: true }],
      },
      spec: { replicas, selector: { matchLabels: { app: 'checkout' } } },
    });
    expect(currentPodTemplateHash('d1', [rs('old', 0), rs('new', 3)])).toBe('new');
    // Mid-rollout (two with pods), someone else's, or nothing running: no single hash.
    expect(currentPodTemplateHash('d1', [rs('old', 1), rs('new', 3)])).toBeUndefined();
    expect(currentPodTemplateHash('d1', [rs('new', 3, 'other')])).toBeUndefined();
    expect(currentPodTemplateHash(undefined, [rs('new', 3)])).toBeUndefined();
  });

  it('merge patches (RFC 7386) turn one value into the other', () => {
    const from = { a: 1, b: { c: [1, 2], d: 'x' }, e: null };
    const to = { a: 1, b: { c: [1, 3] }, f: true };
    expect(mergePatchBetween(from, to)).toEqual({ b: { c: [1, 3], d: null }, e: null, f: true });
    expect(mergePatchBetween(to, to)).toBeUndefined();
  });

  it('the adopted Deployment of an app is the one its rollouts annotated (the latest, should there be two)', () => {
    const other = { ...d, name: 'old', adoptedBy: 'shop.checkout.2' };
    const foreign = { ...d, name: 'payments', adoptedBy: 'shop.payments.9' };
    const lookalike = { ...d, name: 'x', adoptedBy: 'shop.checkout-v2.9' };
    expect(adoptedDeployment([other, foreign, d, lookalike], 'shop', 'checkout')?.name).toBe('checkout');
    expect(adoptedDeployment([foreign, lookalike], 'shop', 'checkout')).toBeUndefined();
  });
});
