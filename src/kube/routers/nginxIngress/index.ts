/**
 * `router: { nginxIngress: { ingress: <name> } }`: Ramp keeps a canary Ingress `<ingress>-canary` beside
 * the user's Ingress, with its paths pointing at `<service>-canary` and ingress-nginx canary annotations
 * (weight, one header, cookie "always", session-affinity stickiness) saying the split.
 */
import { z } from 'zod';
import type { RouterPlugin } from '../trafficRouter';
import { NGINX_INGRESS_CAPABILITIES, type NginxIngressConfig, NginxIngressRouter } from './router';

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
// Room for the "-canary" of the Ingress Ramp keeps beside it.
const MAX = 253 - '-canary'.length;
const NAME_MESSAGE = `expected an Ingress name: lower-case letters, digits, "-" and ".", at most ${MAX} characters`;

export const nginxIngressConfigSchema = z.strictObject({
  ingress: z.string({ error: NAME_MESSAGE }).max(MAX, { error: NAME_MESSAGE }).regex(NAME, { error: NAME_MESSAGE }),
});

export const nginxIngressRouter: RouterPlugin<NginxIngressConfig> = {
  key: 'nginxIngress',
  configSchema: nginxIngressConfigSchema,
  description:
    'ingress-nginx: keeps a canary Ingress <ingress>-canary beside the named Ingress, to <service>-canary, with canary annotations for the weight, one header (exact or a pattern), cookie "always" and sticky session affinity',
  capabilities: () => NGINX_INGRESS_CAPABILITIES,
  create: (config, client) => new NginxIngressRouter(config, client),
};
