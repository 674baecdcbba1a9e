import type { RouterKind } from '../../plan/compile';

/** What a router needs to know about the rollout it routes. */
export interface RouterContext {
  namespace: string;
  app: string;
  /** The stable Service (`<service>`) and the canary Service (`<service>-canary`), and their port. */
  service: { name: string; canaryName: string; port: number };
  /** For gatewayApi: the HTTPRoute whose rules send traffic to the stable Service. */
  httpRoute?: string;
}

/** A gray-release match: which requests go to the canary whatever the weight. */
export type TrafficMatch = { header: { name: string; value: string } } | { cookie: { name: string; value: string } };

/**
 * Moves requests between the stable and the canary revision. Implementations live in this folder, one
 * file each (`replicaRatio.ts`, `gatewayApi.ts`), built by `factory.ts`, and all pass the router
 * conformance suite. Every method is idempotent and makes no write when the cluster is already as asked.
 */
export interface TrafficRouter {
  readonly kind: RouterKind;

  /** Sends `canaryPercent` (0–100) of requests to the canary. */
  setWeight(ctx: RouterContext, canaryPercent: number): Promise<void>;

  /**
   * Sends requests matching any of `matches` to the canary (gray release); an empty list removes them.
   * A router that cannot match requests rejects with RouterUnsupportedError.
   */
  setMatches(ctx: RouterContext, matches: readonly TrafficMatch[]): Promise<void>;

  /** Everything to stable: weight 0 and no matches. */
  reset(ctx: RouterContext): Promise<void>;

  /**
   * Reads the routing back: true when `canaryPercent` is what the data plane is told, false when it is
   * not, undefined when this router cannot tell (replicaRatio). Callers handle all three.
   */
  verify(ctx: RouterContext, canaryPercent: number): Promise<boolean | undefined>;
}
