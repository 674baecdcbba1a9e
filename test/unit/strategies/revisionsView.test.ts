import { revisionsView } from '../../../src/strategies/progress';

describe('revisionsView', () => {
  const cluster = {
    revisions: [
      { revision: 's', replicas: 4, ready: 4 },
      { revision: 'n', replicas: 2, ready: 1, pods: [{ name: 'p', phase: 'Running', ready: false, restarts: 3 }] },
    ],
  };

  it('names the new revision as the strategy does, with its pods as observed', () => {
    expect(revisionsView({ cluster, revisions: { stable: 's', new: 'n' } }, 'preview')).toEqual([
      { role: 'stable', revision: 's', desired: 4, ready: 4 },
      { role: 'preview', revision: 'n', desired: 2, ready: 1, pods: cluster.revisions[1].pods },
    ]);
  });

  it('shows a promoted revision as stable, and the previous one while it is known', () => {
    expect(revisionsView({ cluster, revisions: { stable: 'n', new: 'n', previousStable: 's' } }, 'canary')).toEqual([
      { role: 'stable', revision: 'n', desired: 2, ready: 1, pods: cluster.revisions[1].pods },
      { role: 'previous', revision: 's', desired: 4, ready: 4 },
    ]);
  });
});
