/** Engine operations on live rollouts: promote, promote --full, pause, resume, abort, retry. */
import { createRollout, operate } from '../../../src/engine/rollouts';
import { InvalidOperationError } from '../../../src/errors/invalidOperationError';
import { waitFor } from '@ramp/sandbox/util/ports';
import {
  demoPlan,
  prepareNamespace,
  startEngineHarness,
  waitForPhase,
  type EngineHarness,
} from '../../helpers/engineHarness';
import { canaryState } from '../../helpers/canaryState';
import type { RolloutRecord } from '../../../src/engine/record';

const stepOf = (r: RolloutRecord | undefined): number | undefined => r && canaryState(r).stepIndex;

describe('rollout operations', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness('ops');
    await prepareNamespace(h.sb, 'ops');
    const first = await createRollout(h.deps, demoPlan({ namespace: 'ops', version: 'v1', metrics: [] }));
    await waitForPhase(h.deps, first.id, ['Succeeded']);
  }, 90_000);
  afterAll(async () => {
    await h?.close();
  });

  it('waits at manual pauses; promote goes one step on, promote --full finishes', async () => {
    const r = await createRollout(
      h.deps,
      demoPlan({
        namespace: 'ops',
        version: 'v2',
        metrics: [],
        steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 50 }, { pause: {} }, { setWeight: 80 }],
      }),
    );
    let cur = await waitForPhase(h.deps, r.id, ['Paused']);
    expect(canaryState(cur).stepIndex).toBe(1);
    await operate(h.deps, r.id, 'promote');
    await waitFor(async () => stepOf(await h.deps.store.get(r.id)) === 3, 'the second pause', 60_000, 100);
    cur = await waitForPhase(h.deps, r.id, ['Paused']);
    expect(canaryState(cur).weight).toBe(50);
    await operate(h.deps, r.id, 'promoteFull');
    const done = await waitForPhase(h.deps, r.id, ['Succeeded', 'RolledBack', 'Failed']);
    expect(done.phase).toBe('Succeeded');
    const types = (await h.deps.events.read(r.id)).map((e) => e.event.message);
    expect(types).toEqual(
      expect.arrayContaining(['promote: skipped step 2', 'promote --full: skipping the remaining steps and analysis']),
    );
    await expect(operate(h.deps, r.id, 'promote')).rejects.toBeInstanceOf(InvalidOperationError);
  }, 120_000);

  it('pauses and resumes on request, aborts into a rollback, and retries as a new attempt', async () => {
    const r = await createRollout(
      h.deps,
      demoPlan({
        namespace: 'ops',
        version: 'v3',
        metrics: [],
        steps: [{ setWeight: 20 }, { pause: { duration: '5m' } }],
      }),
    );
    await waitFor(async () => stepOf(await h.deps.store.get(r.id)) === 1, 'the timed pause', 60_000, 100);
    const paused = await operate(h.deps, r.id, 'pause');
    expect(paused.phase).toBe('Paused');
    expect(paused.pause?.kind).toBe('user');
    await expect(operate(h.deps, r.id, 'pause')).rejects.toThrow(/only a progressing rollout can be paused/);
    expect((await operate(h.deps, r.id, 'resume')).phase).toBe('Progressing');
    await operate(h.deps, r.id, 'abort');
    const aborted = await waitForPhase(h.deps, r.id, ['RolledBack']);
    expect(aborted.outcome).toBe('aborted');
    const retried = await operate(h.deps, r.id, 'retry');
    expect(retried.id).not.toBe(r.id);
    expect(retried.attempt).toBe(2);
    await waitFor(
      async () => stepOf(await h.deps.store.get(retried.id)) === 1,
      'the retry to reach its pause',
      60_000,
      100,
    );
    await operate(h.deps, retried.id, 'promoteFull');
    expect((await waitForPhase(h.deps, retried.id, ['Succeeded', 'RolledBack'])).phase).toBe('Succeeded');
  }, 120_000);
});
