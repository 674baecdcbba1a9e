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

/** `command args…` run in a new mount namespace with `mounts` made first. */
export function withMounts(
  command: string,
  args: readonly string[],
  mounts: readonly BindMount[],
): { command: string; args: string[] } {
  const lines = ['set -e'];
  for (const m of mounts) {
    lines.push(`mkdir -p ${quote(m.target)}`, `mount --bind ${quote(m.source)} ${quote(m.target)}`);
    if (m.readOnly) lines.push(`mount -o remount,bind,ro ${quote(m.target)}`);
  }
  lines.push('exec "$@"');
  return {
    command: '/usr/bin/unshare',
    args: ['--mount', '--propagation', 'private', '/bin/sh', '-c', lines.join('\n'), 'container', command, ...args],
  };
}
