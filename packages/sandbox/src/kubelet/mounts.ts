/**
 * Volume mounts for container processes. A pod here is a process on this machine, so a container sees
 * its volumes at their mountPath through a mount namespace of its own: the process starts under
 * `unshare --mount --propagation private`, which bind-mounts each volume's directory (read-only when asked)
 * and then execs the container's command — the same pid, nothing visible outside. Mount namespaces need
 * root; without it containers run without their mounts (the kubelet says so in an event).
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Container } from 'kubernetes-types/core/v1';

export interface BindMount {
  source: string;
  target: string;
  readOnly: boolean;
}

/** True when this process may make mount namespaces (root, with util-linux's unshare). */
export function canMount(): boolean {
  return process.getuid?.() === 0 && existsSync('/usr/bin/unshare');
}

/** The bind mounts of `c`'s volumeMounts, and the names of volumes it mounts that were not made. */
export function containerMounts(
  c: Container,
  paths: ReadonlyMap<string, string>,
): { mounts: BindMount[]; missing: string[] } {
  const mounts: BindMount[] = [];
  const missing: string[] = [];
  for (const m of c.volumeMounts ?? []) {
    const dir = paths.get(m.name);
    if (!dir) {
      missing.push(m.name);
      continue;
    }
    mounts.push({ source: m.subPath ? join(dir, m.subPath) : dir, target: m.mountPath, readOnly: m.readOnly ?? false });
  }
  return { mounts, missing };
}

function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The program `command` names, looked up on PATH as exec would; undefined when there is none. */
export function resolveCommand(command: string, path: string | undefined): string | undefined {
  const executable = (p: string): boolean => {
    try {
      accessSync(p, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (command.includes('/')) return executable(command) ? command : undefined;
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir && executable(join(dir, command))) return join(dir, command);
  }
  return undefined;
}

/** Where sources are held while targets are mounted: the first candidate no target covers. */
const STAGING_CANDIDATES = ['/run/ramp-sandbox/mounts', '/var/tmp/ramp-sandbox-mounts', '/dev/shm/ramp-sandbox-mounts'];

function covers(target: string, path: string): boolean {
  const t = target.replace(/\/+$/, '');
  return t === '' || path === t || path.startsWith(`${t}/`);
}

/** A staging directory that no mount target covers (so mounting a target cannot hide it). */
export function stagingDir(targets: readonly string[]): string {
  const free = STAGING_CANDIDATES.find((c) => !targets.some((t) => covers(t, c)));
  if (!free) throw new Error(`no staging directory for mounts over ${targets.join(', ')}`);
  return free;
}

/**
 * `command args…` run in a new mount namespace with `mounts` made first. Every source is bound into a
 * staging tmpfs before any target is mounted, because a target may cover another volume's source (an
 * emptyDir at /tmp covers the sandbox's pod directories when they live under /tmp, as in tests); targets
 * are then mounted parents first, as container runtimes order them, so a later mount is not hidden by
 * an earlier one over its parent.
 */
export function withMounts(
  command: string,
  args: readonly string[],
  mounts: readonly BindMount[],
  imageFiles: readonly string[] = [],
): { command: string; args: string[] } {
  const stage = stagingDir(mounts.map((m) => m.target));
  const lines = ['set -e', `mkdir -p ${quote(stage)}`, `mount -t tmpfs -o mode=700 ramp-mounts ${quote(stage)}`];
  mounts.forEach((m, i) => {
    const staged = quote(`${stage}/${i}`);
    lines.push(`if [ -d ${quote(m.source)} ]; then mkdir ${staged}; else : > ${staged}; fi`);
    lines.push(`mount --bind ${quote(m.source)} ${staged}`);
  });
  // A container's image is its own filesystem, which no volume hides; here the image's files are the
  // host's (the repository's build), so a volume over their parent (an emptyDir at /tmp with the
  // repository under /tmp) would hide the program itself. They are bound back over the volume.
  const hidden = imageFiles.filter((f) => mounts.some((m) => covers(m.target, f)));
  hidden.forEach((f, j) => {
    lines.push(`mkdir ${quote(`${stage}/image-${j}`)}`);
    lines.push(`mount --bind ${quote(f)} ${quote(`${stage}/image-${j}`)}`);
  });
  const depth = (p: string): number => p.split('/').filter(Boolean).length;
  const ordered = mounts.map((m, i) => ({ m, i })).sort((a, b) => depth(a.m.target) - depth(b.m.target));
  for (const { m, i } of ordered) {
    const staged = quote(`${stage}/${i}`);
    const target = quote(m.target);
    lines.push(
      `if [ -d ${staged} ]; then mkdir -p ${target}; else mkdir -p "$(dirname ${target})"; [ -e ${target} ] || : > ${target}; fi`,
    );
    lines.push(`mount --bind ${staged} ${target}`);
    if (m.readOnly) lines.push(`mount -o remount,bind,ro ${target}`);
  }
  hidden.forEach((f, j) => {
    lines.push(`mkdir -p ${quote(f)}`);
    lines.push(`mount --bind ${quote(`${stage}/image-${j}`)} ${quote(f)}`);
  });
  lines.push('exec "$@"');
  return {
    command: '/usr/bin/unshare',
    args: ['--mount', '--propagation', 'private', '/bin/sh', '-c', lines.join('\n'), 'container', command, ...args],
  };
}
