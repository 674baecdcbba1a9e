/** `ramp rollout -f plan.yaml [--image c=ref]… [--wait] [--timeout 30m] [--dry-run]`: starts a rollout, optionally waits for its outcome. */
import type { Command } from 'commander';
import { apiContext, processIO } from '../commandContext';
import { addApiOptions, parseTimeout, resolveNamespace, type ApiFlags } from '../config';
import { applyImageOverrides, parseImageOverride } from '../imageOverride';
import { followRollout } from '../followRollout';
import { printResult, rolloutText } from '../output/results';
import { parsePlanDocument, planNamespace, readPlanText, withNamespace } from '../planFile';

interface RolloutFlags extends ApiFlags {
  filename?: string;
  image: string[];
  wait?: boolean;
  timeout?: string;
  dryRun?: boolean;
}

const collect = (v: string, all: string[]): string[] => [...all, v];

/** Adds `ramp rollout` to the program. */
export function registerRollout(program: Command): void {
  addApiOptions(
    program
      .command('rollout')
      .description(
        'start a rollout of a plan; with --wait, follow it and exit 0 promoted, 1 rolled back/failed/aborted, 3 timeout',
      )
      .option('-f, --filename <file>', 'the plan (YAML or JSON); - reads standard input')
      .option(
        '--image <container=ref>',
        "replace a container's image in the plan's template (or set spec.image); repeatable",
        collect,
        [],
      )
      .option('--wait', 'follow the rollout until it ends; the exit code says how it ended')
      .option(
        '--timeout <duration>',
        'with --wait: stop waiting after this long (exit 3; the rollout keeps going); implies --wait',
      )
      .option('--dry-run', 'validate against the schema and the cluster; start nothing'),
  ).action(async (flags: RolloutFlags) => {
    process.exitCode = await runRollout(flags);
  });
}

async function runRollout(flags: RolloutFlags): Promise<number> {
  const ctx = apiContext(flags, processIO());
  const { client, format, io } = ctx;
  const timeoutMs = parseTimeout(flags.timeout);
  const overrides = flags.image.map(parseImageOverride);
  const doc = parsePlanDocument(await readPlanText(flags.filename));
  const ns = resolveNamespace(flags.namespace, planNamespace(doc));
  const plan = withNamespace(applyImageOverrides(doc, overrides), ns);
  if (flags.dryRun) {
    const result = await client.dryRun(ns, plan);
    printResult(io.stdout, format, result, () =>
      rolloutText(result.rollout, 'would start (dry run: nothing written)').split('\n').slice(0, 2).join('\n'),
    );
    return 0;
  }
  const view = await client.createRollout(ns, plan);
  if (!flags.wait && timeoutMs === undefined) {
    printResult(io.stdout, format, view, () => rolloutText(view, 'started'));
    return 0;
  }
  return followRollout(ctx, view, { ms: timeoutMs, text: flags.timeout });
}
