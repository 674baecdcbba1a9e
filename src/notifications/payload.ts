/**
 * What a notification says, pure: the webhook's JSON body (the rollout, the event, the evidence, the
 * commands to act on it), its HMAC signature, and the Slack message for the same event.
 */
import { createHmac } from 'node:crypto';
import type { RolloutEvent, RolloutRecord } from '../engine/record';

export interface NotificationBody {
  /** Unique per rollout event and notifier: receivers deduplicate retried deliveries with it. */
  id: string;
  rollout: {
    id: string;
    namespace: string;
    app: string;
    phase: string;
    outcome?: string;
    revisions: { stable?: string; new?: string };
  };
  event: { type: string; at: string; message: string; step?: number; weight?: number };
  /** The judged metrics' verdicts at this event, with their evidence. */
  evidence: { metric: string; decision: string; reason: string; evidence?: Record<string, number | string> }[];
  /** What a person can run about it. */
  commands: { status: string; promote?: string; abort?: string };
}

const ACTIVE = new Set(['Pending', 'Progressing', 'Paused', 'Promoting']);

/** The webhook body for `event` of `record`. */
export function notificationBody(record: RolloutRecord, event: RolloutEvent, id: string): NotificationBody {
  const target = `${record.app} -n ${record.namespace}`;
  const active = ACTIVE.has(record.phase);
  return {
    id,
    rollout: {
      id: record.id,
      namespace: record.namespace,
      app: record.app,
      phase: event.phase ?? record.phase,
      ...(record.outcome ? { outcome: record.outcome } : {}),
      revisions: { stable: record.revisions.stable, new: record.revisions.new },
    },
    event: {
      type: event.type,
      at: new Date(event.at).toISOString(),
      message: event.message,
      ...(event.step !== undefined ? { step: event.step } : {}),
      ...(event.weight !== undefined ? { weight: event.weight } : {}),
    },
    evidence: (event.verdicts ?? []).map((v) => ({
      metric: v.metric,
      decision: v.decision,
      reason: v.reason,
      ...(v.evidence ? { evidence: v.evidence } : {}),
    })),
    commands: {
      status: `ramp status ${target}`,
      ...(active ? { promote: `ramp promote ${target}`, abort: `ramp abort ${target}` } : {}),
    },
  };
}

/** `sha256=<hex>` of `<timestamp>.<body>`: the timestamp is signed too, so an old delivery cannot be replayed as new. */
export function signature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

const ICON: Record<string, string> = {
  Promoted: ':white_check_mark:',
  RolledBack: ':rewind:',
  RollingBack: ':warning:',
  Failed: ':x:',
  Warning: ':warning:',
  Paused: ':double_vertical_bar:',
  Adopted: ':handshake:',
  Released: ':outbox_tray:',
};

/** The same event as a Slack incoming-webhook message. */
export function slackMessage(body: NotificationBody): { text: string; blocks: unknown[] } {
  const r = body.rollout;
  const icon = ICON[body.event.type] ?? ':information_source:';
  const head = `${icon} *${r.app}* in \`${r.namespace}\` — ${body.event.type}: ${body.event.message}`;
  const evidence = body.evidence.map((e) => `• \`${e.metric}\` ${e.decision}: ${e.reason}`);
  const commands = Object.values(body.commands).map((c) => `\`${c}\``);
  return {
    text: head,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: head } },
      ...(evidence.length ? [{ type: 'section', text: { type: 'mrkdwn', text: evidence.join('\n') } }] : []),
      { type: 'context', elements: [{ type: 'mrkdwn', text: `rollout ${r.id} · ${commands.join(' · ')}` }] },
    ],
  };
}
