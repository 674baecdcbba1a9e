/**
 * What `rollout --wait` and `ramp watch` do once they have a rollout: follow it to its end with
 * progress on stderr, print the final result, and answer the exit code its outcome maps to.
 */
import { exitCodeForOutcome } from './exitCodes';
import type { RolloutView } from '../api/schemas';
import type { ApiContext } from './commandContext';
import { finalLine, printResult } from './output/results';
import { rolloutProgress } from './progress';
import { waitForRollout } from './waitForRollout';

export async function followRollout(
  ctx: ApiContext,
  view: RolloutView,
  timeout: { ms?: number; text?: string },
): Promise<number> {
  const { client, format, io } = ctx;
  const final = await waitForRollout(client, view, {
    progress: rolloutProgress(io.stderr),
    timeoutMs: timeout.ms,
    timeoutText: timeout.text,
    summaryFile: io.env.GITHUB_STEP_SUMMARY || undefined,
    warn: (m) => io.stderr.write(`ramp: warning: ${m}\n`),
  });
  printResult(io.stdout, format, final, () => finalLine(final, Date.now()));
  return exitCodeForOutcome(final.outcome);
}
