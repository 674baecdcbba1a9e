/**
 * Child processes the sandbox starts (pods, Prometheus, Redis), each in its own process group and
 * recorded in a pid file, so `close()` — or `ramp sandbox down` after the sandbox itself was killed —
 * can stop every one of them and leave nothing behind.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The kernel's start time of a process (clock ticks since boot), or undefined if it is gone. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may contain spaces) start after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

/** Resolves when the child has exited (immediately if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export class ProcessTracker {
  /** The state directories of the trackers this process made, for killStartedHere(). */
  private static readonly started = new Set<string>();
  private readonly dir: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'pids');
    mkdirSync(this.dir, { recursive: true });
    ProcessTracker.started.add(stateDir);
  }

  /**
   * Kills every process recorded by any tracker of this process: synchronous, for a signal handler of a
   * program that runs sandboxes as a library (the benchmarks), whose children are detached and would
   * outlive it. Returns how many it killed.
   */
  static killStartedHere(): number {
    let killed = 0;
    for (const dir of ProcessTracker.started) killed += ProcessTracker.killRecorded(dir);
    return killed;
  }

  /**
   * Starts a process as the leader of a new process group and records it as `<name>.pid`. The record
   * is removed when the process exits. `name` must be unique among live processes.
   */
  spawn(name: string, command: string, args: readonly string[], opts: SpawnOptions = {}): ChildProcess {
    const child = spawn(command, args, { ...opts, detached: true });
    const file = join(this.dir, `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.pid`);
    if (child.pid !== undefined) {
      writeFileSync(file, `${child.pid} ${processStartTime(child.pid) ?? ''}\n`);
      child.once('exit', () => rmSync(file, { force: true }));
    }
    return child;
  }

  /** SIGTERM to the child's group, SIGKILL after `graceMs`; resolves when it has exited. */
  async stop(child: ChildProcess, graceMs = 5000): Promise<void> {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const done = exited(child);
    signalGroup(child.pid, 'SIGTERM');
    const timer = setTimeout(() => child.pid !== undefined && signalGroup(child.pid, 'SIGKILL'), graceMs);
    await done;
    clearTimeout(timer);
    // Grandchildren in the group that ignored SIGTERM go too.
    signalGroup(child.pid, 'SIGKILL');
  }

  /**
   * Kills every recorded process group that is still the process it was (same start time), for clean-up
   * after a sandbox that died without stopping its children. Returns how many it killed.
   */
  static killRecorded(stateDir: string): number {
    const dir = join(stateDir, 'pids');
    let killed = 0;
    let files: string[];
    try {
      files = readdirSync(dir);
    } catch {
      return 0;
    }
    for (const f of files) {
      const [pidText, start] = readFileSync(join(dir, f), 'utf8').trim().split(' ');
      const pid = Number(pidText);
      if (Number.isInteger(pid) && pid > 1 && isAlive(pid) && (!start || processStartTime(pid) === start)) {
        signalGroup(pid, 'SIGKILL');
        killed++;
      }
      rmSync(join(dir, f), { force: true });
    }
    return killed;
  }
}
