/**
 * A pod's volumes as files in its directory (`<podDir>/volumes/<name>/`), as the kubelet's volume
 * plugins make them: projected volumes (service-account token from the TokenRequest API, ConfigMap and
 * Secret keys, downward-API fields — the `kube-api-access-*` volume the real API server adds to every
 * pod), configMap, secret, downwardAPI, emptyDir and hostPath. Files are written to a temporary name and
 * renamed, so a container reading them during a token refresh never sees half a file.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type {
  ConfigMapProjection,
  DownwardAPIVolumeFile,
  KeyToPath,
  Pod,
  SecretProjection,
  ServiceAccountTokenProjection,
  Volume,
} from 'kubernetes-types/core/v1';
import { resource } from '../apiServer/resources';
import type { ClusterApi } from '../cluster/clusterApi';
import { fieldRefValue } from './containerEnv';

/** What the volumes need from the kubelet. */
export interface VolumeContext {
  cluster: ClusterApi;
  podIP: string;
  hostIP: string;
}

/** The volumes of one pod, made: where each is, when tokens need refreshing, and what could not be made. */
export interface PreparedVolumes {
  /** Volume name → its directory on this machine. */
  paths: Map<string, string>;
  /** Epoch ms by which the tokens should be requested again (80% of their life), if any. */
  refreshAt?: number;
  /** Volume types the sandbox does not make (the pod runs without them): one line each. */
  skipped: string[];
}

/** A volume that cannot be made yet (a missing ConfigMap, a refused token request): the pod waits. */
export class VolumeError extends Error {
  override readonly name = 'VolumeError';
}

type Files = Map<string, { data: string | Buffer; mode?: number }>;

const DEFAULT_TOKEN_SECONDS = 3600;

function writeFiles(dir: string, files: Files, defaultMode = 0o644): void {
  mkdirSync(dir, { recursive: true });
  for (const [rel, f] of files) {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    const tmp = `${path}.tmp-${process.pid}`;
    writeFileSync(tmp, f.data, { mode: f.mode ?? defaultMode });
    renameSync(tmp, path);
  }
}

function decoded(data: Record<string, string> | undefined, binary: boolean): Map<string, string | Buffer> {
  const out = new Map<string, string | Buffer>();
  for (const [k, v] of Object.entries(data ?? {})) out.set(k, binary ? Buffer.from(v, 'base64') : v);
  return out;
}

function selectKeys(
  all: Map<string, string | Buffer>,
  items: readonly KeyToPath[] | undefined,
  what: string,
  optional: boolean,
): Files {
  const files: Files = new Map();
  if (!items || items.length === 0) {
    for (const [k, v] of all) files.set(k, { data: v });
    return files;
  }
  for (const it of items) {
    const v = all.get(it.key);
    if (v === undefined) {
      if (optional) continue;
      throw new VolumeError(`configmap references non-existent config key: ${it.key} (${what})`);
    }
    files.set(it.path, { data: v, mode: it.mode });
  }
  return files;
}

export class PodVolumes {
  private readonly pod: Pod;

  constructor(
    private readonly ctx: VolumeContext,
    pod: Pod,
    private readonly dir: string,
  ) {
    this.pod = pod;
  }

  private get namespace(): string {
    return this.pod.metadata?.namespace ?? 'default';
  }

  private async configMap(name: string, items: readonly KeyToPath[] | undefined, optional: boolean): Promise<Files> {
    const cm = await this.ctx.cluster.get(resource('configmaps'), this.namespace, name);
    if (!cm) {
      if (optional) return new Map();
      throw new VolumeError(`configmap "${name}" not found`);
    }
    const all = decoded(cm.data as Record<string, string>, false);
    for (const [k, v] of decoded(cm.binaryData as Record<string, string>, true)) all.set(k, v);
    return selectKeys(all, items, `configmap ${name}`, optional);
  }

  private async secret(name: string, items: readonly KeyToPath[] | undefined, optional: boolean): Promise<Files> {
    const s = await this.ctx.cluster.get(resource('secrets'), this.namespace, name);
    if (!s) {
      if (optional) return new Map();
      throw new VolumeError(`secret "${name}" not found`);
    }
    return selectKeys(decoded(s.data as Record<string, string>, true), items, `secret ${name}`, optional);
  }

  private downward(items: readonly DownwardAPIVolumeFile[] | undefined): Files {
    const files: Files = new Map();
    for (const it of items ?? []) {
      if (!it.fieldRef) continue; // resourceFieldRef: no limits to report here
      const v = fieldRefValue(this.pod, it.fieldRef.fieldPath, this.ctx);
      if (v !== undefined) files.set(it.path, { data: v, mode: it.mode });
    }
    return files;
  }

  private async token(p: ServiceAccountTokenProjection): Promise<{ files: Files; expires: number }> {
    const sa = this.pod.spec?.serviceAccountName ?? 'default';
    const seconds = p.expirationSeconds ?? DEFAULT_TOKEN_SECONDS;
    let issued;
    try {
      issued = await this.ctx.cluster.requestToken(this.namespace, sa, {
        audiences: p.audience ? [p.audience] : undefined,
        expirationSeconds: seconds,
        boundPod: { name: this.pod.metadata?.name ?? '', uid: this.pod.metadata?.uid ?? '' },
      });
    } catch (e) {
      throw new VolumeError(`failed to fetch token: ${(e as Error).message}`);
    }
    if (!issued) throw new VolumeError('the control plane has no TokenRequest API: no service-account token');
    const expires = Date.parse(issued.expirationTimestamp) || Date.now() + seconds * 1000;
    return { files: new Map([[p.path, { data: issued.token }]]), expires };
  }

  private async projected(v: Volume, refresh: number[]): Promise<Files> {
    const files: Files = new Map();
    const add = (more: Files): void => {
      for (const [k, f] of more) files.set(k, f);
    };
    for (const src of v.projected?.sources ?? []) {
      if (src.serviceAccountToken) {
        const t = await this.token(src.serviceAccountToken);
        refresh.push(Date.now() + (t.expires - Date.now()) * 0.8);
        add(t.files);
      }
      const cm: ConfigMapProjection | undefined = src.configMap;
      if (cm) add(await this.configMap(cm.name ?? '', cm.items, cm.optional ?? false));
      const s: SecretProjection | undefined = src.secret;
      if (s) add(await this.secret(s.name ?? '', s.items, s.optional ?? false));
      if (src.downwardAPI) add(this.downward(src.downwardAPI.items));
    }
    return files;
  }

  /** Makes every volume (again: tokens are refreshed this way). Throws a VolumeError when one cannot be made yet. */
  async prepare(): Promise<PreparedVolumes> {
    const paths = new Map<string, string>();
    const refresh: number[] = [];
    const skipped: string[] = [];
    for (const v of this.pod.spec?.volumes ?? []) {
      const dir = join(this.dir, v.name);
      let files: Files | undefined;
      let mode: number | undefined;
      if (v.projected) {
        files = await this.projected(v, refresh);
        mode = v.projected.defaultMode;
      } else if (v.configMap) {
        files = await this.configMap(v.configMap.name ?? '', v.configMap.items, v.configMap.optional ?? false);
        mode = v.configMap.defaultMode;
      } else if (v.secret) {
        files = await this.secret(v.secret.secretName ?? '', v.secret.items, v.secret.optional ?? false);
        mode = v.secret.defaultMode;
      } else if (v.downwardAPI) {
        files = this.downward(v.downwardAPI.items);
        mode = v.downwardAPI.defaultMode;
      } else if (v.emptyDir) {
        files = new Map();
      } else if (v.hostPath) {
        paths.set(v.name, v.hostPath.path);
        continue;
      } else {
        skipped.push(
          `volume "${v.name}": the sandbox's kubelet does not make ${Object.keys(v).find((k) => k !== 'name')} volumes`,
        );
        continue;
      }
      writeFiles(dir, files, mode);
      paths.set(v.name, dir);
    }
    return { paths, refreshAt: refresh.length ? Math.min(...refresh) : undefined, skipped };
  }
}
