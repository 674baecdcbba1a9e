/**
 * `router: { gatewayApi: { httpRoute: <name> } }`: Ramp sets the backendRef weights (and gray match
 * rules) of an HTTPRoute the user owns, between `<service>` and `<service>-canary`.
 */
import { z } from 'zod';
import type { RouterPlugin } from '../trafficRouter';
import { GATEWAY_API_CAPABILITIES, type GatewayApiConfig, GatewayApiRouter } from './router';

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const NAME_MESSAGE = 'expected an HTTPRoute name: lower-case letters, digits, "-" and ".", at most 253 characters';

export const gatewayApiConfigSchema = z.strictObject({
  httpRoute: z.string({ error: NAME_MESSAGE }).max(253, { error: NAME_MESSAGE }).regex(NAME, { error: NAME_MESSAGE }),
});

export const gatewayApiRouter: RouterPlugin<GatewayApiConfig> = {
  key: 'gatewayApi',
  configSchema: gatewayApiConfigSchema,
  description:
    "Gateway API: sets the backendRef weights of the named HTTPRoute's rules between <service> and <service>-canary, and adds match rules for gray slices",
  capabilities: () => GATEWAY_API_CAPABILITIES,
  create: (config, client) => new GatewayApiRouter(config, client),
};
