/**
 * The rule that refuses a foreign Deployment at pre-flight (src/engine/deploymentPreflight.ts), case by
 * case: when its pods would get the requests Ramp's Services carry, and when they would not.
 */
import { deploymentProblems, type DeploymentCheckInput } from '../../../src/engine/deploymentPreflight';
import type { ObservedDeployment } from '../../../src/kube/deploymentState';
import type { V1LabelSelector } from '@kubernetes/client-node';

function dep(
  name: string,
  podLabels: Record<string, string>,
  opts: { replicas?: number; selector?: V1LabelSelector } = {},
): ObservedDeployment {
  return {
    name,
    replicas: opts.replicas ?? 2,
    readyReplicas: opts.replicas ?? 2,
    updatedReplicas: opts.replicas ?? 2,
    generation: 1,
    observedGeneration: 1,
    selector: opts.selector ?? { matchLabels: podLabels },
    template: { metadata: { labels: podLabels }, spec: { containers: [{ name: 'app', image: 'x' }] } },
    podLabels,
    annotations: {},
  };
}

function input(over: Partial<DeploymentCheckInput>): DeploymentCheckInput {
  return {
    namespace: 'shop',
    app: 'checkout',
    selector: { app: 'checkout' },
    service: { name: 'checkout' },
    wholeApp: false,
    deployments: [],
    ...over,
  };
}

const legacy = dep('legacy', { app: 'checkout', tier: 'web' });

describe('foreign Deployments at pre-flight', () => {
  it('refuses one whose pods carry the selector when the stable Service selects the whole app (replicaRatio, rolling), naming it and how to adopt it', () => {
    const problems = deploymentProblems(input({ wholeApp: true, deployments: [legacy] }));
    expect(problems).toEqual([
      {
        path: 'spec.adopt',
        message: expect.stringMatching(
          /^Deployment legacy in namespace shop runs 2 pods Ramp did not adopt: its pods carry the plan's selector \(app=checkout\), and Service checkout selects the whole app by it .*spec\.adopt: \{ deployment: legacy \}/,
        ),
      },
    ]);
  });

  it('lets it be behind a router when no Service of Ramp’s can select it (a revision selector never matches its pods)', () => {
    expect(deploymentProblems(input({ wholeApp: false, deployments: [legacy] }))).toEqual([]);
  });

  it('refuses it behind a router too when the stable Service exists and sends it requests today', () => {
    const problems = deploymentProblems(
      input({ service: { name: 'checkout', selector: { app: 'checkout' } }, deployments: [legacy] }),
    );
    expect(problems).toHaveLength(1);
    expect(problems[0].message).toMatch(
      /Service checkout sends it requests today \(selector app=checkout\): Ramp would point that Service at its own pods/,
    );
  });

  it('lets it be when the Service already selects Ramp’s revision, or selects nothing', () => {
    const revisioned = { name: 'checkout', selector: { app: 'checkout', 'ramp.dev/revision': 'abc' } };
    expect(deploymentProblems(input({ service: revisioned, deployments: [legacy] }))).toEqual([]);
    expect(deploymentProblems(input({ service: { name: 'checkout', selector: {} }, deployments: [legacy] }))).toEqual(
      [],
    );
  });

  it('lets one with no pods be, and the one the plan adopts', () => {
    const idle = dep('legacy', { app: 'checkout' }, { replicas: 0 });
    expect(deploymentProblems(input({ wholeApp: true, deployments: [idle] }))).toEqual([]);
    expect(deploymentProblems(input({ wholeApp: true, adopt: 'legacy', deployments: [legacy] }))).toEqual([]);
  });

  it('lets one whose pods lack a selector label be (no Service of Ramp’s selects them)', () => {
    const other = dep('other', { app: 'payments' });
    expect(deploymentProblems(input({ wholeApp: true, deployments: [other] }))).toEqual([]);
  });

  it('refuses one whose pods carry Ramp’s labels', () => {
    const impostor = dep(
      'copy',
      { app: 'other', 'ramp.dev/revision': 'abc' },
      { selector: { matchLabels: { app: 'other' } } },
    );
    expect(deploymentProblems(input({ deployments: [impostor] }))[0].message).toMatch(
      /its pods carry Ramp's own labels \(ramp\.dev\/revision\)/,
    );
  });

  it('refuses any Deployment, pods or not, whose selector would take Ramp’s ReplicaSets over', () => {
    const grabby = dep('grabby', { 'app.kubernetes.io/name': 'checkout' }, { replicas: 0 });
    const expr = dep(
      'expr',
      { x: 'y' },
      {
        replicas: 0,
        selector: { matchExpressions: [{ key: 'ramp.dev/app', operator: 'Exists' }] },
      },
    );
    const problems = deploymentProblems(input({ deployments: [grabby, expr] }));
    expect(problems.map((p) => p.path)).toEqual(['metadata.name', 'metadata.name']);
    expect(problems[0].message).toMatch(
      /Deployment grabby's selector \(app\.kubernetes\.io\/name=checkout\) matches the ReplicaSets Ramp creates for checkout/,
    );
  });

  it('checks the adopted Deployment: it exists, and its template carries the selector and none of Ramp’s labels', () => {
    expect(deploymentProblems(input({ adopt: 'gone' }))).toEqual([
      { path: 'spec.adopt.deployment', message: 'Deployment gone does not exist in namespace shop' },
    ]);
    const wrong = dep('legacy', { app: 'shop' });
    expect(deploymentProblems(input({ adopt: 'legacy', deployments: [wrong] }))).toEqual([
      {
        path: 'spec.adopt.deployment',
        message: expect.stringMatching(/lacks the plan's selector labels app: checkout/),
      },
    ]);
  });
});
