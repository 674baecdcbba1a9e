import { undoTarget } from '../../../src/engine/undo';
import type { RolloutRecord } from '../../../src/engine/record';
import { recordFixture } from '../../helpers/recordFixture';

/** A rollout of `revision` that ended with `outcome`, newest first by `seq`. */
function rollout(seq: number, revision: string, outcome?: RolloutRecord['outcome']): RolloutRecord {
  const r = recordFixture('shop', 'checkout', seq, seq * 1000);
  return { ...r, revisions: { new: revision }, ...(outcome ? { outcome } : {}) };
}

describe('undoTarget', () => {
  const history = [
    rollout(4, 'd', 'rolledBack'),
    rollout(3, 'c', 'promoted'),
    rollout(2, 'b', 'promoted'),
    rollout(1, 'a', 'promoted'),
  ];

  it('goes back to the revision promoted before the running one, skipping rollbacks', () => {
    expect(undoTarget(history)).toEqual({ rollout: history[2] });
  });

  it('goes back to a named revision, not to the running one, not to one never promoted', () => {
    expect(undoTarget(history, 'a')).toEqual({ rollout: history[3] });
    expect(undoTarget(history, 'c')).toEqual({ why: 'revision c is the one running' });
    expect(undoTarget(history, 'd')).toEqual({ why: 'no promoted rollout of revision d is kept (see ramp history)' });
  });

  it('says why when there is nothing to go back to', () => {
    expect(undoTarget([])).toEqual({ why: 'no rollout of it was ever promoted' });
    expect(undoTarget([rollout(2, 'a', 'promoted'), rollout(1, 'a', 'promoted')])).toEqual({
      why: 'only revision a was ever promoted',
    });
  });
});
