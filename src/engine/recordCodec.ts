/**
 * Stored records in and out: an older record is upgraded to the current format when read, and every
 * record is validated — the plan by the plan's schema, the strategy's state by that strategy's own — so
 * the engine never works on a record it did not check.
 */
import { onlyEntry } from '../util/registry';
import { strategies } from '../strategies/registry';
import { RECORD_SCHEMA_VERSION, recordSchema, type RolloutRecord } from './record';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A version 1 record (canary only, before strategies were plug-ins) in the current format: its step,
 * weight, scale override and promotion stage become the canary's state, `revisions.canary` becomes
 * `revisions.new`, `previousStable` moves into `revisions`, and a plan's own Prometheus gives way to the
 * operator's default provider. Anything else is returned as it is.
 */
export function upgradeRecord(raw: unknown): unknown {
  if (!isObject(raw) || raw.schemaVersion !== undefined) return raw;
  const { stepIndex, stepStartedAt, weight, canaryScale, promotion, revisions, previousStable, template, ...rest } =
    raw;
  const revs = isObject(revisions) ? revisions : {};
  const strategy: Json = { kind: 'canary', stepIndex, stepStartedAt, weight };
  if (canaryScale !== undefined) strategy.canaryScale = canaryScale;
  if (promotion !== undefined) strategy.promotion = promotion;
  const upgraded: Json = {
    ...rest,
    plan: upgradePlan(rest.plan),
    schemaVersion: RECORD_SCHEMA_VERSION,
    template: template ?? null,
    revisions: { stable: revs.stable, new: revs.canary, ...(previousStable !== undefined ? { previousStable } : {}) },
    strategy,
  };
  return upgraded;
}

/** A version 1 plan: one that named its own Prometheus now uses the operator's default provider. */
function upgradePlan(plan: unknown): unknown {
  if (!isObject(plan) || !isObject(plan.spec) || !isObject(plan.spec.analysis)) return plan;
  const { prometheus: _own, ...analysis } = plan.spec.analysis;
  return { ...plan, spec: { ...plan.spec, analysis } };
}

/** A record read back, upgraded and validated, or the problems (each with its path) that make it unreadable. */
export function decodeRecord(raw: unknown): { ok: true; record: RolloutRecord } | { ok: false; problems: string[] } {
  const parsed = recordSchema.safeParse(upgradeRecord(raw));
  if (!parsed.success)
    return { ok: false, problems: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`) };
  const record = parsed.data;
  const { key } = onlyEntry(record.plan.spec.strategy);
  if (record.strategy.kind !== key)
    return { ok: false, problems: [`strategy.kind: ${record.strategy.kind} state for a ${key} plan`] };
  const state = strategies.get(key).stateSchema.safeParse(record.strategy);
  if (!state.success)
    return { ok: false, problems: state.error.issues.map((i) => `strategy.${i.path.join('.')}: ${i.message}`) };
  return { ok: true, record };
}
