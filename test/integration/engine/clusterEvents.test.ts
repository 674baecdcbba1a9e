/**
 * Ramp's course is told where Kubernetes users look: `kubectl describe rs` of the new revision shows
 * the steps, the promotion or the rollback, with Ramp as the reporting controller.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createRollout } from '../../../src/engine/rollouts';
import {
  demoPlan,
  prepareNamespace,
  startEngineHarness,
  waitForPhase,
  type EngineHarness,
} from '../../helpers/engineHarness';

describe('Kubernetes Events on the ReplicaSets Ramp manages', () => {
  let h: EngineHarness;

  beforeAll(async () => {
    h = await startEngineHarness('kevents');
  }, 60_000);

  afterAll(async () => {
    await h?.close();
  });

  // Not execFileSync: the sandbox's API server answers kubectl from this very process.
  const describeRs = async (ns: string, name: string) =>
    (await promisify(execFile)('kubectl', ['--kubeconfig', h.sb.kubeconfigPath, 'describe', 'rs', '-n', ns, name]))
      .stdout;

  it('shows the steps and the promotion in kubectl describe, and a rollback as a Warning', async () => {
    const ns = 'kevents';
    await prepareNamespace(h.sb, ns);
    const steps = [{ setWeight: 50 }, { pause: { duration: '1s' } }];
    const plan = (version: string, env?: Record<string, string>) =>
      demoPlan({ namespace: ns, version, metrics: [], steps, env, progressDeadline: '10m' });
    expect((await waitForPhase(h.deps, (await createRollout(h.deps, plan('v1'))).id, ['Succeeded'])).phase).toBe(
      'Succeeded',
    );
    const good = await waitForPhase(h.deps, (await createRollout(h.deps, plan('v2'))).id, ['Succeeded', 'RolledBack']);
    expect(good.phase).toBe('Succeeded');
    const promoted = await describeRs(ns, `checkout-${good.revisions.new}`);
    expect(promoted).toMatch(/Normal\s+StepStarted\s+.*ramp\.dev\/ramp\s+rollout kevents\.checkout\.2: /);
    expect(promoted).toMatch(/Normal\s+Promoted\s+/);

    const bad = await waitForPhase(
      h.deps,
      (await createRollout(h.deps, plan('v3', { EXIT_AFTER_MS: '300', EXIT_CODE: '1' }))).id,
      ['Succeeded', 'RolledBack'],
    );
    expect(bad.phase).toBe('RolledBack');
    expect(await describeRs(ns, `checkout-${bad.revisions.new}`)).toMatch(/Warning\s+RollingBack\s+.*CrashLoopBackOff/);
  }, 120_000);
});
