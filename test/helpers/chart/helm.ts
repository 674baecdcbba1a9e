/**
 * The chart's tests run the real helm that scripts/kubernetes/build.sh builds beside the control plane.
 * Same rule as jest.config.js's kubernetes lane: run when it is built, RAMP_KUBERNETES_LANE=1 insists
 * (fail with the build command when it is missing), otherwise skip saying why.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import YAML from 'yaml';

export const REPO = join(__dirname, '..', '..', '..');
export const CHART = join(REPO, 'charts', 'ramp');

/** The helm binary, or undefined when it is not built. */
export function helmBinary(): string | undefined {
  const dir = execFileSync('bash', [join(REPO, 'scripts', 'kubernetes', 'build.sh'), '--print-dir'], {
    encoding: 'utf8',
  }).trim();
  const helm = join(dir, 'bin', 'helm');
  if (existsSync(helm)) return helm;
  const why = 'helm is not built (bash scripts/kubernetes/build.sh, ~9 min once)';
  if (process.env.RAMP_KUBERNETES_LANE === '1') throw new Error(`RAMP_KUBERNETES_LANE=1 but ${why}`);
  process.stderr.write(`[chart] the helm tests are skipped: ${why}\n`);
  return undefined;
}

/** `describe` when helm is built, `describe.skip` otherwise. */
export const describeWithHelm = helmBinary() ? describe : describe.skip;

/** What a helm command printed and how it ended. */
export interface HelmRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs helm with these arguments. */
export function helm(args: string[]): HelmRun {
  const bin = helmBinary();
  if (!bin) throw new Error('helm is not built');
  const r = spawnSync(bin, args, { encoding: 'utf8', env: { ...process.env, HELM_CACHE_HOME: tmpHome() } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Runs helm without blocking the event loop (a test polls the API while `helm upgrade` waits), against
 * `kubeconfig`; resolves with what it printed, how it ended and its wall time.
 */
export function helmAsync(args: string[], kubeconfig?: string): Promise<HelmRun & { ms: number }> {
  const bin = helmBinary();
  if (!bin) return Promise.reject(new Error('helm is not built'));
  const started = performance.now();
  const env = { ...process.env, HELM_CACHE_HOME: tmpHome(), HELM_CONFIG_HOME: tmpHome(), HELM_DATA_HOME: tmpHome() };
  return new Promise((resolve) => {
    const p = spawn(bin, [...(kubeconfig ? ['--kubeconfig', kubeconfig] : []), ...args], { env });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    p.on('close', (status) => resolve({ status, stdout, stderr, ms: performance.now() - started }));
  });
}

let home: string | undefined;
function tmpHome(): string {
  home ??= mkdtempSync(join(tmpdir(), 'ramp-helm-'));
  return home;
}

/** A values file holding `values`, for `-f`. */
export function valuesFile(values: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'ramp-values-')), 'values.yaml');
  writeFileSync(file, YAML.stringify(values));
  return file;
}

/** A Kubernetes object as rendered. */
export interface RenderedObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
}

/** `helm template` of the chart with these values; throws with helm's error when it fails. */
export function template(values: unknown = {}, release = 'ramp', namespace = 'ramp-system'): RenderedObject[] {
  const r = helm(['template', release, CHART, '--namespace', namespace, '-f', valuesFile(values)]);
  if (r.status !== 0) throw new Error(`helm template failed: ${r.stderr}`);
  return YAML.parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as RenderedObject | null)
    .filter((o): o is RenderedObject => o !== null);
}
