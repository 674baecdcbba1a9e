/**
 * Records written by Ramp before strategies were plug-ins (format 1: canary fields at the top, a plan
 * that could name its own Prometheus) are upgraded when read and finish their rollout: one is stopped
 * at a manual pause, rewritten in the old format in Redis, and promoted to the end by a new worker.
 */
import Redis from 'ioredis';
import { createRollout, operate } from '../../../src/engine/rollouts';
import type { RolloutRecord } from '../../../src/engine/record';
import { storeKeys } from '../../../src/engine/store';
import { RampWorker } from '../../../src/engine/worker';
import { canaryState } from '../../helpers/canaryState';
import { testRedisUrl } from '../../helpers/redis';
import {
  demoPlan,
  prepareNamespace,
  startEngineHarness,
  waitForPhase,
  type EngineHarness,
} from '../../helpers/engineHarness';

/** The record as format 1 stored it (the inverse of recordCodec's upgrade). */
function formatOne(r: RolloutRecord): Record<string, unknown> {
  const { schemaVersion: _v, strategy, revisions, cluster: _c, ...rest } = r;
  const s = canaryState(r);
  const plan = structuredClone(r.plan) as unknown as { spec: { analysis: Record<string, unknown> } };
  plan.spec.analysis.prometheus = {
    address: 'http://prometheus.example:9090',
    timeout: '5s',
    insecureSkipVerify: false,
  };
  return {
    ...rest,
    plan,
    revisions: { stable: revisions.stable, canary: revisions.new },
    ...(revisions.previousStable ? { previousStable: revisions.previousStable } : {}),
    stepIndex: s.stepIndex,
    stepStartedAt: s.stepStartedAt,
    weight: s.weight,
    ...(strategy.promotion ? { promotion: strategy.promotion } : {}),
  };
}

describe('records of format 1', () => {
  let h: EngineHarness;
  let redis: Redis;

  beforeAll(async () => {
    h = await startEngineHarness('upgrade');
    redis = new Redis(testRedisUrl());
  }, 60_000);

  afterAll(async () => {
    redis?.disconnect();
    await h?.close();
  });

  it('are read as the current format and finish their rollout', async () => {
    await prepareNamespace(h.sb, 'upgrade');
    const first = await createRollout(h.deps, demoPlan({ namespace: 'upgrade', version: 'v1', metrics: [] }));
    expect((await waitForPhase(h.deps, first.id, ['Succeeded', 'Failed'])).phase).toBe('Succeeded');
    const r = await createRollout(
      h.deps,
      demoPlan({ namespace: 'upgrade', version: 'v2', metrics: [], steps: [{ setWeight: 50 }, { pause: {} }] }),
    );
    const paused = await waitForPhase(h.deps, r.id, ['Paused']);
    await h.worker.close(true);

    const key = storeKeys(h.prefix).record(r.id);
    await redis.hset(key, 'json', JSON.stringify(formatOne(paused)));
    const read = (await h.deps.store.get(r.id)) as RolloutRecord;
    expect(read).toMatchObject({
      schemaVersion: 2,
      phase: 'Paused',
      revisions: { stable: paused.revisions.stable, new: paused.revisions.new },
      strategy: { kind: 'canary', stepIndex: 1, weight: 50 },
    });
    expect(read.plan.spec.analysis).not.toHaveProperty('prometheus');

    const worker = new RampWorker({
      deps: h.deps,
      connection: h.engine.workerConnection(),
      prefix: h.prefix,
      queueName: h.queueName,
    });
    worker.start();
    try {
      await operate(h.deps, r.id, 'promote');
      const done = await waitForPhase(h.deps, r.id, ['Succeeded', 'RolledBack', 'Failed']);
      expect(done.phase).toBe('Succeeded');
      expect(done.revisions).toMatchObject({ stable: paused.revisions.new, previousStable: paused.revisions.stable });
    } finally {
      await worker.close(true);
    }
  }, 120_000);
});
