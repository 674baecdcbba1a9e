/**
 * An app's pods as Ramp reports them: per revision, each pod's phase, readiness, restarts and — when it
 * fails — why (a container waiting on ErrImagePull or CrashLoopBackOff, its last exit code). So what is
 * shown is what runs, and a new revision whose pods cannot run is known as soon as that is certain.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { z } from 'zod';
import type { KubeClient } from './client';
import { appSelector, LABELS } from './names';

/** Why a pod cannot serve, as its containers say. */
export const podProblemSchema = z.object({
  /** The container's waiting reason (ErrImagePull, ImagePullBackOff, CrashLoopBackOff, …) or its last termination's. */
  reason: z.string(),
  message: z.string().optional(),
  container: z.string(),
  /** The last time the container ended: its exit code. */
  exitCode: z.number().int().optional(),
});
export type PodProblem = z.infer<typeof podProblemSchema>;

export const podSummarySchema = z.object({
  name: z.string(),
  phase: z.string(),
  ready: z.boolean(),
  restarts: z.number().int(),
  problem: podProblemSchema.optional(),
});
export type PodSummary = z.infer<typeof podSummarySchema>;

/** Waiting reasons that mean the container will not run as it is (not merely starting). */
const FAILING = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'ErrImageNeverPull',
  'InvalidImageName',
  'CrashLoopBackOff',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
  'StartError',
]);

/** A failure that will not pass by waiting: the image cannot be pulled, or the container keeps crashing. */
const CERTAIN = new Set([
  'ImagePullBackOff',
  'ErrImageNeverPull',
  'InvalidImageName',
  'CrashLoopBackOff',
  'CreateContainerConfigError',
]);

/** Whether a pod's problem is certain (worth rolling back for before the progress deadline). */
export function isCertainFailure(p: PodProblem | undefined): boolean {
  return p !== undefined && CERTAIN.has(p.reason);
}

/** One pod read back, pure. */
export function summarizePod(pod: V1Pod): PodSummary {
  const statuses = pod.status?.containerStatuses ?? [];
  let problem: PodProblem | undefined;
  for (const c of statuses) {
    const waiting = c.state?.waiting;
    const last = c.lastState?.terminated;
    if (waiting?.reason && FAILING.has(waiting.reason)) {
      problem = { reason: waiting.reason, message: waiting.message, container: c.name, exitCode: last?.exitCode };
      break;
    }
    const terminated = c.state?.terminated;
    if (terminated && terminated.exitCode !== 0 && pod.spec?.restartPolicy !== 'Always')
      problem ??= {
        reason: terminated.reason ?? 'Error',
        message: terminated.message,
        container: c.name,
        exitCode: terminated.exitCode,
      };
  }
  const ready = (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  return {
    name: pod.metadata?.name ?? '',
    phase: pod.status?.phase ?? 'Unknown',
    ready,
    restarts: statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0),
    ...(problem ? { problem } : {}),
  };
}

/** An app's pods by revision: those that run (or will), and how many are being deleted. */
export interface AppPods {
  /** Pods not being deleted, each revision's sorted by name. */
  byRevision: Map<string, PodSummary[]>;
  /** Pods being deleted but still there: they serve no one, yet their ReplicaSet is not empty. */
  terminating: Map<string, number>;
}

/** The app's pods by revision (`ramp.dev/revision`). */
export async function listAppPods(client: KubeClient, namespace: string, app: string): Promise<AppPods> {
  const list = await client.call('list', 'pods', (o) =>
    client.core.listNamespacedPod({ namespace, labelSelector: appSelector(app) }, o),
  );
  const byRevision = new Map<string, PodSummary[]>();
  const terminating = new Map<string, number>();
  for (const pod of list.items) {
    const rev = pod.metadata?.labels?.[LABELS.revision];
    if (!rev) continue;
    if (pod.metadata?.deletionTimestamp) {
      terminating.set(rev, (terminating.get(rev) ?? 0) + 1);
      continue;
    }
    const pods = byRevision.get(rev) ?? [];
    pods.push(summarizePod(pod));
    byRevision.set(rev, pods);
  }
  for (const pods of byRevision.values()) pods.sort((a, b) => a.name.localeCompare(b.name));
  return { byRevision, terminating };
}
