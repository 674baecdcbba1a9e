/**
 * The nginxIngress router: traffic is split by ingress-nginx's canary annotations on a canary Ingress
 * Ramp keeps beside the user's (conventions in canaryIngress.ts); the user's Ingress is only read. Every
 * change is a read, a pure decision, and — only when something would differ — a create, or a replace at
 * the read resourceVersion; a 409 means someone else wrote in between, so it reads again and decides
 * again.
 *
 * Reset (and any split that sends nothing to the new revision) keeps the canary Ingress at weight 0 with
 * no matches and `affinity-canary-behavior: legacy` rather than deleting it: no delete verb, and the next
 * rollout finds it in place. It never creates one just to say weight 0, and it does not need the user's
 * Ingress to say it, so a rollback works even after that Ingress is gone.
 *
 * What ingress-nginx does that the vocabulary does not say (documented, not hidden): a request whose
 * canary cookie is "never" goes to stable whatever the weight; with session affinity on the user's
 * Ingress, a client the affinity cookie ties to stable stays there even when it carries a canary header
 * (affinity is checked first); with a sticky split, a client a header or cookie match sent to the canary
 * gets the affinity cookie too and stays; and the cookie holds ingress-nginx's own value, not the sticky
 * cookie's `value`, so a cookie from an earlier sticky rollout ties its client to the next one's canary.
 */
import {
  CanaryIngressConflictError,
  IngressHasNoServicePathError,
  IngressNotFoundError,
  RouterUnsupportedError,
} from '../../../errors';
import { checkTraffic, type Traffic } from '../../../strategies/traffic';
import type { KubeClient } from '../../client';
import { retryOnConflict } from '../../conflicts';
import type { RouterCapabilities, RouterContext, RouterProblem, TrafficRouter } from '../trafficRouter';
import {
  canaryAnnotations,
  type CanaryIngressRefs,
  canaryIngressName,
  desiredCanaryIngress,
  isOurs,
  isStableOnly,
  isStableOnlyIngress,
  NGINX,
  routesToStable,
  sameAsDesired,
  stickyProblem,
  withDesired,
  withStableOnly,
} from './canaryIngress';
import { createIngress, type Ingress, readIngress, replaceIngress } from './ingress';

/** The plan's `router: { nginxIngress: { ingress } }`. */
export interface NginxIngressConfig {
  ingress: string;
}

export const NGINX_INGRESS_CAPABILITIES: RouterCapabilities = {
  weights: 'route',
  verify: true,
  headerMatch: true,
  maxHeaderNames: 1,
  cookieMatch: true,
  cookieValueMatch: false,
  queryMatch: false,
  regexMatch: true,
  sticky: true,
};

/** Routes by ingress-nginx canary annotations on `<ingress>-canary`. */
export class NginxIngressRouter implements TrafficRouter {
  readonly kind = 'nginxIngress';
  readonly capabilities = NGINX_INGRESS_CAPABILITIES;

  constructor(
    private readonly config: NginxIngressConfig,
    private readonly client: KubeClient,
  ) {}

  private refs(ctx: RouterContext): CanaryIngressRefs {
    return {
      namespace: ctx.namespace,
      app: ctx.app,
      ingress: this.config.ingress,
      stable: ctx.services.stable,
      canary: ctx.services.new,
      port: ctx.port,
    };
  }

  async check(ctx: RouterContext, planned: readonly Traffic[] = []): Promise<RouterProblem[]> {
    const refs = this.refs(ctx);
    const user = await readIngress(this.client, ctx.namespace, this.config.ingress);
    const problem = (message: string): RouterProblem[] => [{ path: 'ingress', message }];
    if (!user) return problem(new IngressNotFoundError(ctx.namespace, this.config.ingress).message);
    if (user.metadata.annotations?.[`${NGINX}canary`] === 'true')
      return problem(
        `Ingress ${ctx.namespace}/${this.config.ingress} is itself a canary Ingress (${NGINX}canary: "true"): name the main Ingress, whose path routes to ${refs.stable}`,
      );
    if (!routesToStable(user, refs))
      return problem(new IngressHasNoServicePathError(ctx.namespace, this.config.ingress, refs.stable).message);
    const canary = await readIngress(this.client, ctx.namespace, canaryIngressName(this.config.ingress));
    if (canary && !isOurs(canary, refs))
      return problem(new CanaryIngressConflictError(ctx.namespace, canary.metadata.name ?? '', ctx.app).message);
    // A sticky step the Ingress is not set up for would fail the rollout there: refuse it now.
    const sticky = planned.find((t) => t.sticky)?.sticky;
    const why = sticky && stickyProblem(user, sticky);
    return why ? problem(`the nginxIngress router cannot ${why}`) : [];
  }

  async setTraffic(ctx: RouterContext, traffic: Traffic): Promise<void> {
    checkTraffic(traffic);
    // Refuses what cannot be expressed before anything is read.
    canaryAnnotations(traffic);
    await (isStableOnly(traffic) ? this.resetCanary(ctx) : this.change(ctx, traffic));
  }

  async reset(ctx: RouterContext): Promise<void> {
    await this.resetCanary(ctx);
  }

  async verify(ctx: RouterContext, traffic: Traffic): Promise<boolean> {
    checkTraffic(traffic);
    const refs = this.refs(ctx);
    const canary = await readIngress(this.client, ctx.namespace, canaryIngressName(this.config.ingress));
    if (isStableOnly(traffic)) return !canary || isStableOnlyIngress(canary, refs);
    const user = await this.readUser(ctx);
    if (!canary || !routesToStable(user, refs) || (traffic.sticky && stickyProblem(user, traffic.sticky))) return false;
    try {
      return sameAsDesired(canary, desiredCanaryIngress(user, refs, traffic), refs);
    } catch (e) {
      // A split ingress-nginx cannot express is not what the data plane says.
      if (e instanceof RouterUnsupportedError) return false;
      throw e;
    }
  }

  private async readUser(ctx: RouterContext): Promise<Ingress> {
    const user = await readIngress(this.client, ctx.namespace, this.config.ingress);
    if (!user) throw new IngressNotFoundError(ctx.namespace, this.config.ingress);
    return user;
  }

  private async readCanary(ctx: RouterContext, refs: CanaryIngressRefs): Promise<Ingress | undefined> {
    const canary = await readIngress(this.client, ctx.namespace, canaryIngressName(this.config.ingress));
    if (canary && !isOurs(canary, refs))
      throw new CanaryIngressConflictError(ctx.namespace, canary.metadata.name ?? '', ctx.app);
    return canary;
  }

  /** Read, decide, and create or replace when the canary Ingress differs; again on 409. Answers whether it wrote. */
  private change(ctx: RouterContext, traffic: Traffic): Promise<boolean> {
    const refs = this.refs(ctx);
    return retryOnConflict(async () => {
      const user = await this.readUser(ctx);
      if (!routesToStable(user, refs))
        throw new IngressHasNoServicePathError(ctx.namespace, this.config.ingress, refs.stable);
      const sticky = traffic.sticky && stickyProblem(user, traffic.sticky);
      if (sticky) throw new RouterUnsupportedError(this.kind, sticky);
      const desired = desiredCanaryIngress(user, refs, traffic);
      const canary = await this.readCanary(ctx, refs);
      if (!canary) {
        await createIngress(this.client, desired);
        return true;
      }
      if (sameAsDesired(canary, desired, refs)) return false;
      await replaceIngress(this.client, withDesired(canary, desired));
      return true;
    });
  }

  /** Weight 0, no matches, not sticky; nothing to do when there is no canary Ingress or it already says so. */
  private resetCanary(ctx: RouterContext): Promise<boolean> {
    const refs = this.refs(ctx);
    return retryOnConflict(async () => {
      const canary = await this.readCanary(ctx, refs);
      if (!canary || isStableOnlyIngress(canary, refs)) return false;
      await replaceIngress(this.client, withStableOnly(canary));
      return true;
    });
  }
}
