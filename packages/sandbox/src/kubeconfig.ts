/** Writes the kubeconfig that points kubectl and client libraries at the sandbox API server. */
import { writeFileSync } from 'node:fs';
import YAML from 'yaml';

export interface KubeconfigInput {
  server: string;
  caPem: string;
  token: string;
  namespace?: string;
  name?: string;
}

export function kubeconfigYaml(k: KubeconfigInput): string {
  const name = k.name ?? 'ramp-sandbox';
  return YAML.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name, cluster: { server: k.server, 'certificate-authority-data': Buffer.from(k.caPem).toString('base64') } },
    ],
    users: [{ name: `${name}-admin`, user: { token: k.token } }],
    contexts: [{ name, context: { cluster: name, user: `${name}-admin`, namespace: k.namespace ?? 'default' } }],
    'current-context': name,
    preferences: {},
  });
}

/** Writes it owner-readable only: it holds the admin token. */
export function writeKubeconfig(path: string, k: KubeconfigInput): void {
  writeFileSync(path, kubeconfigYaml(k), { mode: 0o600 });
}
