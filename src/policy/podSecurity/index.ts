/**
 * The Kubernetes Pod Security Standards as a pure check of a pod template: `privileged` (nothing
 * refused), `baseline` (known privilege escalations refused) and `restricted` (baseline plus current
 * hardening), each refusal naming the field and the control.
 */
import { BASELINE_CONTROLS } from './baseline';
import type { Control, PodSecurityLevel, Violation } from './control';
import { podView } from './podView';
import { RESTRICTED_CONTROLS } from './restricted';

export type { PodSecurityLevel, Violation } from './control';
export const POD_SECURITY_LEVELS = ['privileged', 'baseline', 'restricted'] as const;

/** The controls a level applies, stricter ones in place of those they replace. */
export function controlsOf(level: PodSecurityLevel): readonly Control[] {
  if (level === 'privileged') return [];
  if (level === 'baseline') return BASELINE_CONTROLS;
  const replaced = new Set(RESTRICTED_CONTROLS.flatMap((c) => c.replaces ?? []));
  return [...BASELINE_CONTROLS.filter((c) => !replaced.has(c.title)), ...RESTRICTED_CONTROLS];
}

/** What `template` (a PodTemplateSpec as JSON, at `path` in the plan) does that `level` refuses. */
export function checkPodSecurity(template: unknown, level: PodSecurityLevel, path: string): Violation[] {
  const pod = podView(template, path);
  return controlsOf(level).flatMap((c) =>
    c.check(pod).map((v) => ({ path: v.path, message: `${v.message} (Pod Security Standards, ${level}: ${c.title})` })),
  );
}
