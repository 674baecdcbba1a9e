/** @type {import('jest').Config} */
const { execFileSync } = require('node:child_process');

// @kubernetes/client-node 1.x and a few of its dependencies ship only ES modules; Node runs them through
// require(esm), but jest's module system needs them transpiled to CommonJS, so they are not ignored.
const esmPackages = ['@kubernetes/client-node', 'openid-client', 'oauth4webapi', 'jose', 'jsonpath-plus', 'rfc4648'];

/**
 * The second lane: these files run again on the real control plane (etcd, kube-apiserver,
 * kube-controller-manager, kube-scheduler built by scripts/kubernetes/build.sh). The README's "Two
 * control planes" section says why the others do not.
 */
const KUBERNETES_LANE = [
  'test/integration/engine/canaryRollout.test.ts',
  'test/integration/engine/failures.test.ts',
  'test/integration/engine/podFailures.test.ts',
  'test/integration/engine/clusterEvents.test.ts',
  'test/integration/engine/adoption.test.ts',
  'test/integration/api/sandbox.test.ts',
  'test/integration/api/kubernetesAuth.test.ts',
  'test/e2e/cliRollout.test.ts',
  'test/e2e/sandboxCli.test.ts',
  'test/e2e/helmInstall.test.ts',
  'packages/sandbox/test/integration/sandbox/cluster.test.ts',
  'packages/sandbox/test/integration/kubernetes/realControlPlane.test.ts',
];

/**
 * The lane runs when the binaries are built (what `.ci/run` makes sure of); RAMP_KUBERNETES_LANE=0 turns it
 * off, =1 insists (the run fails with the build command if they are missing).
 */
function kubernetesLane() {
  const wanted = process.env.RAMP_KUBERNETES_LANE;
  if (wanted === '0') return false;
  if (wanted === '1') return true;
  try {
    execFileSync('bash', [`${__dirname}/scripts/kubernetes/build.sh`, '--check'], { stdio: 'ignore' });
    return true;
  } catch {
    process.stderr.write(
      '[jest] the kubernetes lane is skipped: the control plane is not built (bash scripts/kubernetes/build.sh, ~9 min once)\n',
    );
    return false;
  }
}

const common = {
  testEnvironment: 'node',
  // The workspace packages are tested from their sources (what `paths` in tsconfig.json does for tsc);
  // compiled code finds them through node_modules/@ramp.
  moduleNameMapper: {
    '^@ramp/kube-schemas$': '<rootDir>/packages/kube-schemas/src/index.ts',
    '^@ramp/sandbox$': '<rootDir>/packages/sandbox/src/index.ts',
    '^@ramp/sandbox/(.*)$': '<rootDir>/packages/sandbox/src/$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', {}],
    '^.+\\.m?js$': [
      'ts-jest',
      { tsconfig: { allowJs: true, isolatedModules: true, module: 'commonjs', target: 'ES2022' } },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join('|')})/)`],
};

module.exports = {
  projects: [
    {
      ...common,
      displayName: 'home-made',
      roots: ['<rootDir>/test', '<rootDir>/packages/kube-schemas/test', '<rootDir>/packages/sandbox/test'],
      testMatch: ['**/*.test.ts'],
      // Tests of the real control plane itself run only in its lane.
      testPathIgnorePatterns: [
        '/node_modules/',
        '/packages/sandbox/test/integration/kubernetes/',
        // SubjectAccessReview is the real API server's only.
        '/test/integration/api/kubernetesAuth.test.ts',
        // The chart installed with RBAC, TokenReview and SubjectAccessReview: the real API server's only.
        '/test/e2e/helmInstall.test.ts',
      ],
      globals: { RAMP_CONTROL_PLANE: 'home-made' },
    },
    ...(kubernetesLane()
      ? [
          {
            ...common,
            displayName: 'kubernetes',
            roots: ['<rootDir>'],
            testMatch: KUBERNETES_LANE.map((f) => `<rootDir>/${f}`),
            globals: { RAMP_CONTROL_PLANE: 'kubernetes' },
          },
        ]
      : []),
  ],
  // One Redis for the whole run (both lanes).
  globalSetup: '<rootDir>/test/globalSetup.ts',
  globalTeardown: '<rootDir>/test/globalTeardown.ts',
  testTimeout: 60000,
  // Integration tests start real processes (pods, Prometheus, control planes); two at a time suits this 2-core machine.
  maxWorkers: 2,
  verbose: true,
};
