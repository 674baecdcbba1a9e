/** A sandbox for the Kubernetes adapter's tests: namespaces, a client, demo-app templates, and request counting. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import { silentLogger } from '../../../src/observability/logger';
import { KubeClient, type KubeClientOptions } from '../../../src/kube/client';
import { Sandbox } from '@ramp/sandbox';
import type { RequestRecord } from '@ramp/sandbox/apiServer/server';

export interface KubeSandbox {
  sb: Sandbox;
  /** A fresh namespace (made in-process, so it is not in the request log). */
  namespace(prefix: string): string;
  /** A client on the sandbox's kubeconfig, closed with the sandbox; retries fast so failures show fast. */
  client(options?: KubeClientOptions): KubeClient;
  close(): Promise<void>;
}

/** Starts a sandbox without Prometheus or Redis (pods run from dist/: build first). */
export async function startKubeSandbox(): Promise<KubeSandbox> {
  const dir = mkdtempSync(join(tmpdir(), 'ramp-kube-'));
  const sb = await Sandbox.start({
    dir,
    prometheus: false,
    redis: false,
    backoff: { initialMs: 200, maxMs: 2000 },
    logger: silentLogger(),
  });
  const clients: KubeClient[] = [];
  let n = 0;
  return {
    sb,
    namespace(prefix) {
      const name = `${prefix}-${++n}`;
      sb.registry.ensureNamespace(name);
      return name;
    },
    client(options) {
      const c = KubeClient.fromKubeconfig(sb.kubeconfigPath, {
        retry: { initialBackoffMs: 20, maxBackoffMs: 200 },
        random: () => 0.5,
        ...options,
      });
      clients.push(c);
      return c;
    },
    async close() {
      await Promise.all(clients.map((c) => c.close()));
      await sb.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The requests the API server served for objects in `namespace` (optionally one resource), from its log. */
export function requestsIn(sb: Sandbox, namespace: string, resource?: string): RequestRecord[] {
  const marker = `/namespaces/${namespace}/${resource ?? ''}`;
  return (sb.apiServer?.requestLog ?? []).filter((r) => r.url.includes(marker));
}

/** Writes (POST/PUT/PATCH/DELETE) the API server served in `namespace`. */
export function writesIn(sb: Sandbox, namespace: string, resource?: string): RequestRecord[] {
  return requestsIn(sb, namespace, resource).filter((r) => WRITE_METHODS.has(r.method));
}

/** A demo-app pod template of one version, selected by `app: <app>`, ready when /readyz answers. */
export function demoTemplate(app: string, version: string, env: Record<string, string> = {}): V1PodTemplateSpec {
  return {
    metadata: { labels: { app } },
    spec: {
      containers: [
        {
          name: 'app',
          image: `ramp.dev/demo-app:${version}`,
          ports: [{ name: 'http', containerPort: 8080 }],
          env: [{ name: 'VERSION', value: version }, ...Object.entries(env).map(([name, value]) => ({ name, value }))],
          readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 1 },
        },
      ],
    },
  };
}
