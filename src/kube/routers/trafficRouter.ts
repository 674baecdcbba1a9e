/**
 * The traffic router extension point (DESIGN §3). A router splits requests between the stable Service
 * and the new revision's Service (`<service>-canary`) and matches requests to the new revision; it never
 * touches a Service's selector (the engine owns those) or a ReplicaSet. One folder per router under
 * src/kube/routers/ holds its config schema, capabilities and implementation; registry.ts names them.
 */
import type { z } from 'zod';
import type { Traffic } from '../../strategies/traffic';
import type { KubeClient } from '../client';

/** What a router can do; strategies ask for capabilities, never for router kinds. */
export interface RouterCapabilities {
  /**
   * How a weight is applied. `route`: the router sends exactly that share of requests to the new
   * revision's Service. `pods`: there is no router — the stable Service selects every revision of the
   * app, so a revision's share of requests is its share of ready pods, which the strategy sets by scaling.
   */
  weights: 'route' | 'pods';
  /** verify() reads the data plane's configuration back (true/false) rather than answering undefined. */
  verify: boolean;
  headerMatch: boolean;
  /** Distinct header names one split can match on; undefined: any number (ingress-nginx: one canary header). */
  maxHeaderNames?: number;
  cookieMatch: boolean;
  /** Cookie matches on any value; false: only a cookie whose value is `always` (ingress-nginx's canary-by-cookie). */
  cookieValueMatch: boolean;
  queryMatch: boolean;
  /** Prefix and RegularExpression matches (and so gray's user slices), not only Exact. */
  regexMatch: boolean;
  /** A sticky cookie keeps a client that reached the new revision there. */
  sticky: boolean;
}

/** What a router needs to know about the rollout it routes. */
export interface RouterContext {
  namespace: string;
  app: string;
  /** The stable Service (`<service>`) and the new revision's Service (`<service>-canary`, or `-preview`), and their port. */
  services: { stable: string; new: string };
  port: number;
}

/** A pre-flight problem, its path relative to the router's own config block (`httpRoute`), or '' for the block. */
export interface RouterProblem {
  path: string;
  message: string;
}

/**
 * Moves requests between the stable and the new revision. Every method is idempotent and makes no
 * write when the data plane is already as asked; all pass the router conformance suite.
 */
export interface TrafficRouter {
  readonly kind: string;
  readonly capabilities: RouterCapabilities;

  /**
   * Pre-flight, before a rollout is written: what in the cluster keeps this router from working (a
   * missing route), and from applying any of `planned` — the splits the plan's steps will ask for (a
   * sticky weight the cluster is not set up for) — so a rollout is refused now rather than failing at a
   * later step.
   */
  check(ctx: RouterContext, planned?: readonly Traffic[]): Promise<RouterProblem[]>;

  /**
   * Sends `traffic.weight` percent of requests, and every request matching one of `traffic.matches`, to
   * the new revision. Matches a router cannot express reject with RouterUnsupportedError.
   */
  setTraffic(ctx: RouterContext, traffic: Traffic): Promise<void>;

  /** Everything to stable: weight 0 and no matches. */
  reset(ctx: RouterContext): Promise<void>;

  /**
   * Reads the routing back: true when the data plane is told exactly `traffic`, false when it is not (a
   * route edited by hand is false), undefined when this router cannot tell. Callers handle all three.
   */
  verify(ctx: RouterContext, traffic: Traffic): Promise<boolean | undefined>;
}

/** One router kind: its plan config (the block under `router: { <key>: … }`), what it can do, and how to build it. */
export interface RouterPlugin<C = unknown> {
  readonly key: string;
  readonly configSchema: z.ZodType<C>;
  /** Shown in errors and the README's router table. */
  readonly description: string;
  capabilities(config: C): RouterCapabilities;
  create(config: C, client: KubeClient): TrafficRouter;
}
