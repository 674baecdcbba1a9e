/**
 * `prometheus:` — a provider on the Prometheus HTTP API, as the operator configures it: address,
 * timeout, credentials from files (a mounted Secret, a projected token), TLS verification.
 */
import { z } from 'zod';
import { durationSchema, parseDuration } from '../../../plan/duration';
import type { ProviderPlugin } from '../registry';
import { PrometheusProvider } from './client';

export const prometheusSettingsSchema = z.strictObject({
  address: z.url({ protocol: /^https?$/, error: 'expected the Prometheus URL, like http://prometheus:9090' }),
  timeout: durationSchema({ min: 100, max: 60_000 }).default('5s'),
  /** A file holding a bearer token (read on every query, so a rotated token is picked up). */
  bearerTokenFile: z.string().min(1).optional(),
  basicAuth: z.strictObject({ username: z.string(), passwordFile: z.string().min(1) }).optional(),
  insecureSkipVerify: z.boolean().default(false),
});
export type PrometheusSettings = z.output<typeof prometheusSettingsSchema>;

export const prometheusProvider: ProviderPlugin<PrometheusSettings> = {
  key: 'prometheus',
  settingsSchema: prometheusSettingsSchema,
  create: (s, hooks) =>
    new PrometheusProvider({
      address: s.address,
      timeoutMs: parseDuration(s.timeout) ?? 5000,
      bearerTokenFile: s.bearerTokenFile,
      basicAuth: s.basicAuth,
      insecureSkipVerify: s.insecureSkipVerify,
      onRequest: hooks.onRequest && ((outcome, ms) => hooks.onRequest?.('prometheus', outcome, ms)),
      logger: hooks.logger,
      name: hooks.name,
    }),
};
