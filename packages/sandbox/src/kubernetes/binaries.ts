/**
 * Where `scripts/kubernetes/build.sh` put etcd, the control plane, helm and the Gateway API CRDs: the
 * cache directory `${RAMP_KUBE_CACHE:-~/.cache/ramp/kubernetes}/<KUBERNETES_VERSION>/`, complete when
 * its stamp holds exactly the versions pinned in `scripts/kubernetes/versions.env`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { MissingBinaryError } from '../errors/missingBinaryError';
import { packageRoot } from '../util/packageRoot';

export interface KubernetesBinaries {
  /** The cache directory of this version. */
  dir: string;
  /** `v1.35.4` */
  version: string;
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  helm: string;
  /** The Gateway API standard-channel CRD files. */
  gatewayApiCrds: string;
}

/** The build command, as the one-line errors name it. */
export const BUILD_COMMAND = 'bash scripts/kubernetes/build.sh';

/** scripts/kubernetes/versions.env of this repository. */
export function versionsFile(): string {
  return resolve(packageRoot(), '..', '..', 'scripts', 'kubernetes', 'versions.env');
}

/** The KEY=value lines of versions.env. */
export function pinnedVersions(file = versionsFile()): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(\S*)\s*$/.exec(line.trim());
    if (m) out[m[1]] = m[2];
  }
  return out;
}

/** The cache directory build.sh uses for the pinned version (whether or not it is built). */
export function kubernetesCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const root = env.RAMP_KUBE_CACHE || join(homedir(), '.cache', 'ramp', 'kubernetes');
  return join(root, pinnedVersions().KUBERNETES_VERSION ?? 'unknown');
}

/** True when build.sh finished for exactly the pinned versions (what `build.sh --check` checks first). */
export function kubernetesBuilt(dir = kubernetesCacheDir()): boolean {
  const stamp = join(dir, '.complete');
  if (!existsSync(stamp)) return false;
  const built = readFileSync(stamp, 'utf8').trim().split('\n').sort().join('\n');
  const pinned = Object.entries(pinnedVersions())
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join('\n');
  return built === pinned;
}

/** The binaries, or a MissingBinaryError saying how to build them. */
export function findKubernetesBinaries(dir = kubernetesCacheDir()): KubernetesBinaries {
  if (!kubernetesBuilt(dir)) {
    throw new MissingBinaryError(
      'kube-apiserver',
      `build etcd and the control plane with \`${BUILD_COMMAND}\` (about 9 minutes the first time, needs Go 1.26)`,
      { path: dir },
    );
  }
  const bin = (name: string): string => join(dir, 'bin', name);
  return {
    dir,
    version: pinnedVersions().KUBERNETES_VERSION ?? '',
    etcd: bin('etcd'),
    kubeApiserver: bin('kube-apiserver'),
    kubeControllerManager: bin('kube-controller-manager'),
    kubeScheduler: bin('kube-scheduler'),
    helm: bin('helm'),
    gatewayApiCrds: join(dir, 'crds', 'gateway-api'),
  };
}
