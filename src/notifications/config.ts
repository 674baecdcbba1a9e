/**
 * The operator's notifiers (`--notifications-file`): where Ramp tells of rollouts — signed JSON webhooks
 * and Slack incoming webhooks — for which namespaces and which kinds of event. Plans never name a
 * notifier's address: it is the operator's, like the metric providers.
 *
 *   notifiers:
 *     - name: deploys
 *       webhook: { url: https://hooks.example.com/ramp, secretFile: /etc/ramp/hook-secret }
 *       events: [Promoted, RolledBack, Failed]
 *     - name: team-slack
 *       slack: { urlFile: /etc/ramp/slack-url }
 *       namespaces: [shop]
 */
import { z } from 'zod';
import { eventSchema } from '../engine/record';

export const EVENT_TYPES = eventSchema.shape.type.options;

const urlSchema = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });

const webhookSchema = z.strictObject({
  url: urlSchema,
  /** A file holding the HMAC-SHA256 key; the body is signed as `X-Ramp-Signature: sha256=<hex>`. */
  secretFile: z.string().min(1).optional(),
  /** Seconds before a delivery attempt is abandoned (and retried). */
  timeoutSeconds: z.number().int().min(1).max(60).default(5),
});

const slackSchema = z
  .strictObject({
    /** The incoming webhook's URL, or a file holding it (it is a credential). */
    url: urlSchema.optional(),
    urlFile: z.string().min(1).optional(),
    timeoutSeconds: z.number().int().min(1).max(60).default(5),
  })
  .refine((s) => (s.url === undefined) !== (s.urlFile === undefined), { error: 'expected one of url or urlFile' });

export const notifierSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { error: 'expected a lower-case name (a-z, 0-9, -)' }),
    webhook: webhookSchema.optional(),
    slack: slackSchema.optional(),
    /** The namespaces whose rollouts it tells of; default all. */
    namespaces: z.array(z.string().min(1)).min(1).default(['*']),
    /** The kinds of event it tells of; default every one but Analysis (verdict changes are many). */
    events: z.array(z.enum(EVENT_TYPES)).min(1).optional(),
    /** Delivery attempts before an event is given up on (with exponential back-off from 1 s). */
    attempts: z.number().int().min(1).max(20).default(8),
  })
  .refine((n) => (n.webhook === undefined) !== (n.slack === undefined), {
    error: 'expected exactly one of webhook or slack',
  });
export type NotifierConfig = z.output<typeof notifierSchema>;

export const notificationsConfigSchema = z
  .strictObject({ notifiers: z.array(notifierSchema).max(50) })
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.notifiers.forEach((n, i) => {
      if (seen.has(n.name))
        ctx.addIssue({ code: 'custom', path: ['notifiers', i, 'name'], message: `"${n.name}" is named twice` });
      seen.add(n.name);
    });
  });
export type NotificationsConfig = z.input<typeof notificationsConfigSchema>;

/** Whether `n` tells of an event of `type` in `namespace`. */
export function wants(n: NotifierConfig, namespace: string, type: (typeof EVENT_TYPES)[number]): boolean {
  const inNamespace = n.namespaces.includes('*') || n.namespaces.includes(namespace);
  const ofType = n.events ? n.events.includes(type) : type !== 'Analysis';
  return inNamespace && ofType;
}
