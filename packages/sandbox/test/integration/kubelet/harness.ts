/**
 * A registry and a kubelet over a temp state directory, plus the waits and HTTP calls the kubelet
 * tests share. Every harness is closed in afterEach/afterAll (processes stopped, directory removed).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Container, ContainerStatus, Pod, PodCondition } from 'kubernetes-types/core/v1';
import { Registry } from '../../../src/apiServer/registry';
import { resource } from '../../../src/apiServer/resources';
import { ObjectStore } from '../../../src/apiServer/store';
import type { KubeObject } from '../../../src/apiServer/types';
import { waitFor } from '../../../src/util/ports';
import { demoAppMainPath } from '../../../src/kubelet/imageRegistry';
import { RegistryCluster } from '../../../src/cluster/registryCluster';
import { Kubelet, type KubeletOptions } from '../../../src/kubelet/kubelet';
import { Scheduler } from '../../../src/kubelet/scheduler';

export const pods = resource('pods');
export const events = resource('events');

/** Fails early, with the fix, when the demo app has not been compiled. */
export function requireDemoApp(): void {
  if (!existsSync(demoAppMainPath()))
    throw new Error(`${demoAppMainPath()} is missing: run npx tsc -p tsconfig.build.json before these tests`);
}

export interface Harness {
  registry: Registry;
  kubelet: Kubelet;
  stateDir: string;
  close(): Promise<void>;
}

/** A started kubelet (and the home-made scheduler binding pods to its node) with small back-off values unless told otherwise. */
export async function startKubelet(opts: Partial<KubeletOptions> = {}): Promise<Harness> {
  const stateDir = mkdtempSync(join(tmpdir(), 'ramp-kubelet-'));
  const registry = new Registry(new ObjectStore());
  const scheduler = new Scheduler(registry, opts.nodeName ?? 'sandbox');
  scheduler.start();
  const kubelet = new Kubelet({
    cluster: new RegistryCluster(registry),
    stateDir,
    backoff: { initialMs: 300, maxMs: 2000 },
    shutdownGraceMs: 2000,
    ...opts,
  });
  await kubelet.start();
  let closed: Promise<void> | undefined;
  return {
    registry,
    kubelet,
    stateDir,
    close: () =>
      (closed ??= kubelet.close().finally(() => {
        scheduler.close();
        rmSync(stateDir, { recursive: true, force: true });
      })),
  };
}

/** Creates a pod in `default` and returns it. */
export function createPod(
  registry: Registry,
  name: string,
  containers: Container[],
  spec: Partial<Pod['spec']> = {},
  labels: Record<string, string> = {},
): Pod {
  return registry.create(pods, 'default', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: name, ...labels } },
    spec: { containers, terminationGracePeriodSeconds: 5, ...spec },
  }).object as Pod;
}

/** The demo app container listening on 8080 with an HTTP readiness probe on /readyz. */
export function demoContainer(env: Record<string, string> = {}, extra: Partial<Container> = {}): Container {
  return {
    name: 'app',
    image: 'ramp.dev/demo-app:v1',
    ports: [{ name: 'http', containerPort: 8080 }],
    env: Object.entries(env).map(([name, value]) => ({ name, value })),
    readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 1, failureThreshold: 1 },
    ...extra,
  };
}

export function getPod(registry: Registry, name: string): Pod | undefined {
  return registry.tryGet(pods, 'default', name) as Pod | undefined;
}

/** Waits until the pod satisfies `check`; returns it. */
export async function waitForPod(
  registry: Registry,
  name: string,
  what: string,
  check: (p: Pod) => boolean,
  timeoutMs = 20_000,
): Promise<Pod> {
  let found: Pod | undefined;
  await waitFor(
    () => {
      found = getPod(registry, name);
      return found !== undefined && check(found);
    },
    `pod ${name}: ${what}`,
    timeoutMs,
  );
  return found as Pod;
}

export function condition(p: Pod, type: string): PodCondition | undefined {
  return p.status?.conditions?.find((c) => c.type === type);
}

export function containerStatus(p: Pod, name = 'app'): ContainerStatus | undefined {
  return p.status?.containerStatuses?.find((c) => c.name === name);
}

export function isReady(p: Pod): boolean {
  return condition(p, 'Ready')?.status === 'True';
}

/** The pid in a container status's `sandbox://<pid>` container ID. */
export function pidOf(status: ContainerStatus | undefined): number {
  const m = /^sandbox:\/\/(\d+)$/.exec(status?.containerID ?? '');
  if (!m) throw new Error(`no container ID in ${JSON.stringify(status)}`);
  return Number(m[1]);
}

/** Events recorded about a pod: "reason: message". */
export function eventsOf(registry: Registry, podName: string): string[] {
  return registry
    .list(events, { namespace: 'default' })
    .items.filter((e: KubeObject) => (e.involvedObject as { name?: string }).name === podName)
    .map((e: KubeObject) => `${String(e.reason)}: ${String(e.message)}`);
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request without keep-alive; a string body is sent as it is, anything else as JSON. */
export function http(url: string, method = 'GET', body?: unknown): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = request(
      url,
      { method, agent: false, headers: data ? { 'content-type': 'application/json' } : {} },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`timeout: ${method} ${url}`)));
    req.end(data);
  });
}

/** Reads a stream to its end. */
export function readAll(stream: Readable, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new Error('stream did not end'));
    }, timeoutMs);
    stream.setEncoding('utf8');
    stream.on('data', (c: string) => (text += c));
    stream.on('end', () => {
      clearTimeout(timer);
      resolve(text);
    });
    stream.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}
