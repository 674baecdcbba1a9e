/** The demo's plans are plans a user could lint: each strategy's, for every version the demo rolls out. */
import { demoPlanYaml } from '../../../src/cli/commands/demo';
import { parsePlanText } from '../../../src/plan/parse';

describe('the demo plans', () => {
  it.each(['canary', 'blueGreen', 'gray', 'rolling'])('%s is valid for each version', (strategy) => {
    for (const version of ['v1', 'v2', 'v3']) {
      const plan = parsePlanText(demoPlanYaml(version, strategy));
      expect(Object.keys(plan.spec.strategy)).toEqual([strategy]);
    }
  });
});
