/**
 * Which rollout `undo` starts again, pure: the newest promoted rollout of another revision than the one
 * now stable (or of the revision asked for). Its plan — template, strategy, analysis — is rolled out
 * again, through the same strategy and judge as any rollout. It needs that rollout's record, not the
 * revision's ReplicaSet: one deleted beyond revisionHistoryLimit is created again, so the limit never
 * stands in undo's way; how far back it reaches is how far back records are kept.
 */
import type { RolloutRecord } from './record';

/** `records` newest first. The rollout to repeat, or why there is none. */
export function undoTarget(
  records: readonly RolloutRecord[],
  toRevision?: string,
): { rollout: RolloutRecord } | { why: string } {
  const promoted = records.filter((r) => r.outcome === 'promoted' && r.revisions.new);
  const stable = promoted[0]?.revisions.new;
  if (!stable) return { why: 'no rollout of it was ever promoted' };
  if (toRevision === stable) return { why: `revision ${toRevision} is the one running` };
  const found = promoted.find((r) =>
    toRevision === undefined ? r.revisions.new !== stable : r.revisions.new === toRevision,
  );
  if (found) return { rollout: found };
  return {
    why:
      toRevision === undefined
        ? `only revision ${stable} was ever promoted`
        : `no promoted rollout of revision ${toRevision} is kept (see ramp history)`,
  };
}
