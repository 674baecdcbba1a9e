/** Waiting on a rollout's phase, for the benchmarks that drive the engine. */
import type { EngineDeps } from '../src/engine/deps';
import type { Phase, RolloutRecord } from '../src/engine/record';
import { waitFor } from '@ramp/sandbox/util/ports';

export async function untilPhase(
  deps: EngineDeps,
  id: string,
  phases: Phase[],
  timeoutMs = 300_000,
): Promise<RolloutRecord> {
  let r: RolloutRecord | undefined;
  await waitFor(
    async () => {
      r = await deps.store.get(id);
      return !!r && phases.includes(r.phase);
    },
    `${id} to reach ${phases.join('/')}`,
    timeoutMs,
    50,
  );
  return r as RolloutRecord;
}
