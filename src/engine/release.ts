/**
 * Starting a release (`ramp release NAME`): handing an adopted app back to its Deployment. It is a
 * rollout record of its own (`release` set), so it takes the app's one active slot — no rollout runs
 * beside it, and it none beside a rollout — has events, and is carried out by workers step by step
 * (src/strategies/handover/release.ts). The API only reads here: which Deployment a rollout of the app
 * adopted is written on the Deployment itself (`ramp.dev/adopted-by`), which outlives pruned records.
 */
import { ActiveRolloutExistsError, NothingAdoptedError } from '../errors';
import type { ObservedDeployment } from '../kube/deploymentState';
import { listDeployments } from '../kube/deployments';
import { compilePlan } from '../plan/compile';
import { bindStrategy } from '../strategies/registry';
import type { EngineDeps } from './deps';
import { RECORD_SCHEMA_VERSION, type RolloutEvent, type RolloutRecord } from './record';

/** The Deployment a rollout of `app` adopted (the latest adoption, should there be more than one), pure. */
export function adoptedDeployment(
  deployments: readonly ObservedDeployment[],
  namespace: string,
  app: string,
): ObservedDeployment | undefined {
  const prefix = `${namespace}.${app}.`;
  const seq = (d: ObservedDeployment) => Number(d.adoptedBy?.slice(prefix.length) ?? NaN);
  return deployments
    .filter((d) => d.adoptedBy?.startsWith(prefix) && Number.isInteger(seq(d)))
    .sort((a, b) => seq(b) - seq(a))[0];
}

/**
 * Starts handing `app` back to the Deployment a rollout of it adopted: ActiveRolloutExistsError while a
 * rollout (or a release) of it is active, NothingAdoptedError when no Deployment was adopted.
 */
export async function startRelease(
  deps: EngineDeps,
  namespace: string,
  app: string,
  opts: { createdBy?: string; attempt?: number } = {},
): Promise<RolloutRecord> {
  const active = await deps.store.getActive(namespace, app);
  if (active) throw new ActiveRolloutExistsError(namespace, app, active.id);
  const latest = await deps.store.getLatest(namespace, app);
  if (!latest) throw new NothingAdoptedError(namespace, app, 'it has no rollout');
  const adopted = adoptedDeployment(await listDeployments(deps.kube, namespace), namespace, app);
  if (!adopted)
    throw new NothingAdoptedError(
      namespace,
      app,
      `no Deployment in namespace ${namespace} was adopted by a rollout of it (none is annotated ramp.dev/adopted-by ${namespace}.${app}.<n>)`,
    );
  const plan = latest.plan;
  const now = deps.clock();
  const seq = await deps.store.nextSeq(namespace, app);
  const fresh: RolloutRecord = {
    schemaVersion: RECORD_SCHEMA_VERSION,
    id: `${namespace}.${app}.${seq}`,
    namespace,
    app,
    seq,
    version: 1,
    createdAt: now,
    updatedAt: now,
    attempt: opts.attempt ?? 1,
    ...(opts.createdBy ? { createdBy: opts.createdBy } : {}),
    plan,
    template: null,
    revisions: { new: '' },
    firstDeploy: false,
    phase: 'Pending',
    message: `waiting for a worker to hand ${app} back to Deployment ${adopted.name}`,
    analysis: { metrics: {} },
    strategy: bindStrategy(compilePlan(plan)).initialState(),
    release: { deployment: adopted.name, replicas: 0, stage: 'scaleUp' },
  };
  const created: RolloutEvent = {
    at: now,
    type: 'Created',
    message: `release ${fresh.id} created: ${app} goes back to Deployment ${adopted.name}`,
    phase: fresh.phase,
  };
  const record = await deps.store.create(fresh, [created]);
  await deps.queue.enqueue(record.id, record.version);
  // Only queued, best effort: the release stands either way.
  await deps.notifications
    ?.enqueue(record, [created])
    .catch((err: unknown) => deps.logger.warn({ err, rolloutId: record.id }, 'could not queue notifications'));
  deps.metrics?.transitions.inc({ phase: 'Pending' });
  return record;
}
