/**
 * Finding the rollout a request is about: an app's latest, or one by id — only ever within the
 * namespace and app in the URL, so a token scoped to namespace `a` cannot reach `b`'s rollouts by id.
 */
import { AppRolloutNotFoundError } from '../errors';
import type { EngineDeps } from '../engine/deps';
import type { RolloutRecord } from '../engine/record';

/** The app's latest rollout, or the one with `rolloutId` if it belongs to the app; AppRolloutNotFoundError otherwise. */
export async function findRollout(
  deps: EngineDeps,
  ns: string,
  app: string,
  rolloutId?: string,
): Promise<RolloutRecord> {
  const record = rolloutId === undefined ? await deps.store.getLatest(ns, app) : await deps.store.get(rolloutId);
  if (!record || record.namespace !== ns || record.app !== app) throw new AppRolloutNotFoundError(ns, app, rolloutId);
  return record;
}

/**
 * An app's rollouts, newest first. Rollout ids are `<ns>.<app>.<seq>` with seq counting up from 1
 * (src/engine/rollouts.ts; a create refused with 409 leaves a gap), so walking down from the latest's
 * seq reads exactly the app's records, in batches, without scanning the namespace.
 */
export async function listAppRollouts(
  deps: EngineDeps,
  ns: string,
  app: string,
  limit: number,
): Promise<RolloutRecord[]> {
  const latest = await deps.store.getLatest(ns, app);
  if (!latest) return [];
  const out = [latest];
  let seq = latest.seq - 1;
  while (out.length < limit && seq >= 1) {
    const ids: string[] = [];
    for (; seq >= 1 && ids.length < limit; seq--) ids.push(`${ns}.${app}.${seq}`);
    const batch = await Promise.all(ids.map((id) => deps.store.get(id)));
    out.push(...batch.filter((r): r is RolloutRecord => r !== undefined && r.namespace === ns && r.app === app));
  }
  return out.slice(0, limit);
}
