/**
 * The rights a CI job's ServiceAccount needs to roll out in its namespace with `--auth kubernetes`, as
 * the README's "A CI job's right to roll out" grants them: a Role on rollouts.ramp.dev (and creating
 * ReplicaSets, which Ramp checks for the caller) bound to the ServiceAccount `ci`. YAML for `kubectl apply`.
 */
export function ciRolloutGrant(namespace: string): string {
  return `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: ramp-rollouts, namespace: ${namespace} }
rules:
  - { apiGroups: [ramp.dev], resources: [rollouts], verbs: [get, create, update] }
  - { apiGroups: [apps], resources: [replicasets], verbs: [create] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: ci-rollouts, namespace: ${namespace} }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: ramp-rollouts }
subjects: [{ kind: ServiceAccount, name: ci, namespace: ${namespace} }]
`;
}
