/**
 * The operator's pod policy: which Pod Security Standards level a namespace's pod templates must meet
 * (`baseline` unless the operator says otherwise) and which service accounts, besides the namespace's
 * `default`, they may run as. Ramp creates ReplicaSets with its own rights, so without this a namespace
 * token could ask for anything Ramp's service account can (a privileged pod, the host's filesystem, a
 * powerful service account). Checked by the API before anything is written and by the worker before it
 * creates a ReplicaSet, so a record written under an older policy cannot bypass a newer one. Pure.
 *
 *   level: baseline                 # every namespace, unless named below (default baseline)
 *   serviceAccounts: []             # names any namespace's plans may use, besides default
 *   namespaces:
 *     build: { level: privileged, serviceAccounts: [image-builder] }
 */
import { z } from 'zod';
import type { FieldProblem } from '../errors';
import { dnsLabel } from '../plan/fields';
import { checkPodSecurity, POD_SECURITY_LEVELS, type PodSecurityLevel } from './podSecurity';

const levelSchema = z.enum(POD_SECURITY_LEVELS, { error: 'expected privileged, baseline or restricted' });
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const serviceAccountsSchema = z.array(
  z.string().max(253).regex(SUBDOMAIN, { error: 'expected a service account name (a DNS subdomain)' }),
);

const namespaceRuleSchema = z.strictObject({
  level: levelSchema.optional(),
  serviceAccounts: serviceAccountsSchema.optional(),
});

/** A pod policy file (`--pod-policy-file`). */
export const podPolicyConfigSchema = z.strictObject({
  level: levelSchema.optional(),
  serviceAccounts: serviceAccountsSchema.default([]),
  namespaces: z.record(dnsLabel('a namespace'), namespaceRuleSchema).default({}),
});
export type PodPolicyConfig = z.input<typeof podPolicyConfigSchema>;

/** What applies in one namespace. */
export interface NamespacePodRule {
  level: PodSecurityLevel;
  serviceAccounts: readonly string[];
}

/** The operator's pod policy, built once from its configuration. */
export class PodPolicy {
  private readonly config: z.output<typeof podPolicyConfigSchema>;
  private readonly defaultLevel: PodSecurityLevel;

  /** `defaultLevel` (`--pod-security`) applies where the file gives no level; default baseline. */
  constructor(config: PodPolicyConfig = {}, defaultLevel: PodSecurityLevel = 'baseline') {
    this.config = podPolicyConfigSchema.parse(config);
    this.defaultLevel = this.config.level ?? defaultLevel;
  }

  /** The level and service accounts of `namespace`. */
  ruleFor(namespace: string): NamespacePodRule {
    const own = Object.hasOwn(this.config.namespaces, namespace) ? this.config.namespaces[namespace] : undefined;
    return {
      level: own?.level ?? this.defaultLevel,
      serviceAccounts: [...this.config.serviceAccounts, ...(own?.serviceAccounts ?? [])],
    };
  }

  /** What the policy of `namespace` refuses in `template` (a PodTemplateSpec as JSON at `path`), each with its field. */
  check(namespace: string, template: unknown, path: string): FieldProblem[] {
    const rule = this.ruleFor(namespace);
    return [
      ...serviceAccountProblems(template, rule, namespace, path),
      ...checkPodSecurity(template, rule.level, path),
    ];
  }
}

function serviceAccountProblems(
  template: unknown,
  rule: NamespacePodRule,
  namespace: string,
  path: string,
): FieldProblem[] {
  const spec = (template as { spec?: Record<string, unknown> } | undefined)?.spec ?? {};
  // `serviceAccount` is the deprecated alias Kubernetes still honours when the name is not given.
  return (['serviceAccountName', 'serviceAccount'] as const).flatMap((field) => {
    const name = spec[field];
    if (name === undefined || name === null || name === '' || name === 'default') return [];
    if (typeof name === 'string' && rule.serviceAccounts.includes(name)) return [];
    const allowed = ['default', ...rule.serviceAccounts].join(', ');
    return [
      {
        path: `${path}.spec.${field}`,
        message: `service account ${JSON.stringify(name)} is not allowed in namespace ${namespace} (the operator allows: ${allowed})`,
      },
    ];
  });
}
