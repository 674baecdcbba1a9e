/** Engine operations on live rollouts: promote, promote --full, pause, resume, abort, retry. */
import { InvalidOperationError } from '../../../src/errors';
import { createRollout, operate } from '../../../src/engine/rollouts';
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

  it('waits at a manual pause past its progress deadline without reconciling again and again', async () => {
    const reconciles = async () =>
      (await h.deps.metrics?.reconciles.get())?.values.reduce((n, v) => n + v.value, 0) ?? 0;
    const r = await createRollout(
      h.deps,
      demoPlan({
        namespace: 'ops',
        version: 'v4',
        metrics: [],
        progressDeadline: '2s',
        steps: [{ setWeight: 50 }, { pause: {} }],
      }),
    );
    await waitForPhase(h.deps, r.id, ['Paused']);
    // Well past the deadline, a paused rollout with nothing to measure has nothing to wake up for.
    await new Promise((res) => setTimeout(res, 3000));
    const before = await reconciles();
    await new Promise((res) => setTimeout(res, 3000));
    expect((await reconciles()) - before).toBeLessThanOrEqual(1);
    expect((await h.deps.store.get(r.id))?.phase).toBe('Paused');
    await operate(h.deps, r.id, 'abort');
    await waitForPhase(h.deps, r.id, ['RolledBack']);
  }, 60_000);

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
    const { record: paused } = await operate(h.deps, r.id, 'pause');
    expect(paused.phase).toBe('Paused');
    expect(paused.pause?.kind).toBe('user');
    // Asking again changes nothing, and says so (a pipeline that pauses twice is not an error).
    const again = await operate(h.deps, r.id, 'pause');
    expect(again).toMatchObject({ unchanged: 'it is already paused', record: { version: paused.version } });
    expect((await operate(h.deps, r.id, 'resume')).record.phase).toBe('Progressing');
    expect((await operate(h.deps, r.id, 'resume')).unchanged).toBe('it is not paused: it is progressing');
    await operate(h.deps, r.id, 'abort');
    const aborted = await waitForPhase(h.deps, r.id, ['RolledBack']);
    expect(aborted.outcome).toBe('aborted');
    await expect(operate(h.deps, r.id, 'pause')).rejects.toThrow(/the rollout has finished/);
    const { record: retried } = await operate(h.deps, r.id, 'retry');
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
