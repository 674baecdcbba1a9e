/**
 * The `kubernetes` authenticator: a bearer token is whoever the cluster says it is (TokenReview), and
 * may do what the cluster's RBAC grants on `rollouts.ramp.dev` in the namespace (SubjectAccessReview),
 * so a CI job's ServiceAccount token works with a Role and RoleBinding and nothing of Ramp's own. A
 * plan's ReplicaSets are allowed only to whom may create ReplicaSets there: Ramp creates them with its
 * rights, not the caller's. Positive answers are cached briefly; a refusal never is, so a revoked
 * grant bites at once and a granted one within `cacheMs`.
 */
import { createHash } from 'node:crypto';
import type { KubeClient } from '../../kube/client';
import type { Verb } from '../schemas';
import type { Authenticator, Principal } from './authenticator';

/** The Kubernetes verb on `rollouts.ramp.dev` each API verb is checked as. */
export const KUBERNETES_VERBS: Record<Verb, string> = { read: 'get', write: 'create', operate: 'update' };

/** A principal the cluster vouched for, with what a SubjectAccessReview asks about. */
interface KubernetesPrincipal extends Principal {
  readonly user: { username: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
}

export interface KubernetesAuthOptions {
  /** How long a positive TokenReview or SubjectAccessReview is reused. Default 10 s. */
  cacheMs?: number;
  /** The TokenReview audiences (default: the API server's own). */
  audiences?: string[];
  clock?: () => number;
}

const ALL_VERBS = Object.keys(KUBERNETES_VERBS) as Verb[];

export class KubernetesAuthenticator implements Authenticator {
  private readonly tokens = new Map<string, { principal: KubernetesPrincipal; until: number }>();
  private readonly grants = new Map<string, number>();
  private readonly cacheMs: number;
  private readonly clock: () => number;

  constructor(
    private readonly kube: KubeClient,
    private readonly opts: KubernetesAuthOptions = {},
  ) {
    this.cacheMs = opts.cacheMs ?? 10_000;
    this.clock = opts.clock ?? Date.now;
  }

  async authenticate(token: string): Promise<Principal | undefined> {
    const key = createHash('sha256').update(token).digest('hex');
    const now = this.clock();
    const hit = this.tokens.get(key);
    if (hit && hit.until > now) return hit.principal;
    const review = await this.kube.call('create', 'tokenreviews', (o) =>
      this.kube.authentication.createTokenReview(
        {
          body: {
            apiVersion: 'authentication.k8s.io/v1',
            kind: 'TokenReview',
            spec: { token, audiences: this.opts.audiences },
          },
        },
        o,
      ),
    );
    const user = review.status?.authenticated ? review.status.user : undefined;
    if (!user?.username) return undefined;
    // Grants are the cluster's: asked per request (and namespace), not carried in the principal.
    const principal: KubernetesPrincipal = {
      subject: user.username,
      namespaces: '*',
      verbs: ALL_VERBS,
      user: { username: user.username, uid: user.uid, groups: user.groups, extra: user.extra },
    };
    this.remember(this.tokens, key, { principal, until: now + this.cacheMs });
    return principal;
  }

  authorize(principal: Principal, verb: Verb, namespace: string): Promise<boolean> {
    return this.allowed(principal, {
      group: 'ramp.dev',
      resource: 'rollouts',
      verb: KUBERNETES_VERBS[verb],
      namespace,
    });
  }

  authorizeWorkload(principal: Principal, namespace: string): Promise<boolean> {
    return this.allowed(principal, { group: 'apps', resource: 'replicasets', verb: 'create', namespace });
  }

  private async allowed(
    principal: Principal,
    attrs: { group: string; resource: string; verb: string; namespace: string },
  ): Promise<boolean> {
    if (!('user' in principal) || !attrs.namespace) return false;
    const { user } = principal as KubernetesPrincipal;
    const key = JSON.stringify([user.username, user.uid, attrs]);
    const now = this.clock();
    if ((this.grants.get(key) ?? 0) > now) return true;
    const review = await this.kube.call('create', 'subjectaccessreviews', (o) =>
      this.kube.authorization.createSubjectAccessReview(
        {
          body: {
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SubjectAccessReview',
            spec: {
              user: user.username,
              uid: user.uid,
              groups: user.groups,
              extra: user.extra,
              resourceAttributes: attrs,
            },
          },
        },
        o,
      ),
    );
    const ok = review.status?.allowed === true && review.status.denied !== true;
    if (ok) this.remember(this.grants, key, now + this.cacheMs);
    return ok;
  }

  /** Keeps at most 10,000 answers: the oldest go first. */
  private remember<V>(cache: Map<string, V>, key: string, value: V): void {
    if (cache.size >= 10_000) {
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
    cache.set(key, value);
  }
}
