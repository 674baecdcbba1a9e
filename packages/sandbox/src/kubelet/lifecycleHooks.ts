/** Container lifecycle hooks the sandbox runs: preStop (exec, httpGet, tcpSocket or sleep) within the grace period. */
import type { LifecycleHandler } from 'kubernetes-types/core/v1';
import { type ProbeTarget, runHandler } from './probes';

/**
 * Runs a preStop hook, giving up at `deadline` (epoch ms). Resolves with a failure message, or
 * undefined when it succeeded (or there was nothing to run).
 */
export async function runPreStop(
  hook: LifecycleHandler | undefined,
  target: ProbeTarget,
  deadline: number,
): Promise<string | undefined> {
  const ms = deadline - Date.now();
  if (!hook || ms <= 0) return undefined;
  const sleep = hook.sleep;
  if (sleep) {
    await new Promise((r) => setTimeout(r, Math.min(ms, sleep.seconds * 1000)));
    return undefined;
  }
  const outcome = await runHandler(hook, target, ms);
  return outcome.ok ? undefined : outcome.message;
}
