/**
 * The API's authentication extension point: who is calling (a bearer token → a principal) and what
 * they may do (a verb in a namespace). `staticTokens` is the first implementation; the Kubernetes
 * TokenReview/SubjectAccessReview one slots in behind the same two methods.
 */
import type { Verb } from '../schemas';

/** An authenticated caller and its grants. */
export interface Principal {
  /** Who: shown in logs and in 403 messages. */
  readonly subject: string;
  /** Namespaces it may act in; '*' is every namespace. */
  readonly namespaces: readonly string[] | '*';
  readonly verbs: readonly Verb[];
}

export interface Authenticator {
  /**
   * The principal a bearer token stands for, or undefined when no grant matches (→ 401). Must take
   * the same time whichever grant matches or none (no early exit on a match), and never throw for a
   * bad token; throwing means "cannot tell now" (→ 5xx), e.g. the Kubernetes API is unreachable.
   */
  authenticate(token: string): Promise<Principal | undefined>;

  /**
   * Whether `principal` may use `verb` in `namespace` (→ 403 when false). Pure for grants carried in
   * the principal; an implementation that asks a server may throw for "cannot tell now" (→ 5xx).
   */
  authorize(principal: Principal, verb: Verb, namespace: string): Promise<boolean>;

  /**
   * Whether `principal` may have Ramp create a plan's workload (its ReplicaSets) in `namespace`, asked
   * on create and dry run after `authorize(…, 'write', …)` (→ 403 when false). Ramp creates them with
   * its own rights, so an authenticator that knows the caller's Kubernetes identity answers with a
   * SubjectAccessReview for `create replicasets` in the namespace: a token cannot make Ramp create what
   * its owner could not. Optional: without it (static tokens) the `write` verb is the grant.
   */
  authorizeWorkload?(principal: Principal, namespace: string): Promise<boolean>;
}
