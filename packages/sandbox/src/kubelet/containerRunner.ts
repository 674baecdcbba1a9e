/**
 * One instance of a container: a real process in its own process group (through the ProcessTracker,
 * so nothing outlives the sandbox), its output in a log file, and how it ended in the words a
 * container runtime uses (exit code, 128+signal, reason Completed / Error / StartError).
 */
import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import type { ProcessTracker } from '../util/processes';
import { ContainerLogWriter } from './logWriter';

/** What to run. */
export interface InstanceSpec {
  /** Unique among live processes (the tracker's pid-file name). */
  trackerName: string;
  command: string;
  args: readonly string[];
  env: Readonly<Record<string, string>>;
  cwd: string;
  logPath: string;
}

/** How an instance ended. */
export interface InstanceExit {
  exitCode: number;
  /** Signal number when a signal ended it. */
  signal?: number;
  reason: 'Completed' | 'Error' | 'StartError';
  message?: string;
  finishedAt: number;
}

function signalNumber(name: NodeJS.Signals): number {
  return (constants.signals as Record<string, number>)[name] ?? 0;
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // The group is empty already.
  }
}

/** A started (or failed-to-start) container process. */
export class ContainerInstance {
  readonly startedAt = Date.now();
  readonly logs: ContainerLogWriter;
  /** Resolves when the process has exited (its log file is finished shortly after). */
  readonly exited: Promise<InstanceExit>;
  private readonly child: ChildProcess;
  private exit: InstanceExit | undefined;

  constructor(
    private readonly tracker: ProcessTracker,
    spec: InstanceSpec,
  ) {
    this.logs = new ContainerLogWriter(spec.logPath);
    this.child = tracker.spawn(spec.trackerName, spec.command, spec.args, {
      env: { ...spec.env },
      cwd: spec.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.logs.attach(this.child.stdout, 'stdout');
    this.logs.attach(this.child.stderr, 'stderr');
    this.exited = new Promise((resolve) => {
      const finish = (exit: InstanceExit): void => {
        if (this.exit) return;
        this.exit = exit;
        // Like a container's other processes, children the main process left behind go with it.
        if (this.child.pid !== undefined) killGroup(this.child.pid);
        void this.logs.close();
        resolve(exit);
      };
      this.child.once('error', (err: NodeJS.ErrnoException) => {
        if (this.child.pid !== undefined && this.child.exitCode === null && this.child.signalCode === null) return;
        const message =
          err.code === 'ENOENT'
            ? `exec: "${spec.command}": executable file not found in $PATH`
            : err.code === 'EACCES'
              ? `exec: "${spec.command}": permission denied`
              : err.message;
        finish({ exitCode: 128, reason: 'StartError', message, finishedAt: Date.now() });
      });
      this.child.once('exit', (code, signal) => {
        const exitCode = signal ? 128 + signalNumber(signal) : (code ?? 0);
        finish({
          exitCode,
          ...(signal ? { signal: signalNumber(signal) } : {}),
          reason: exitCode === 0 ? 'Completed' : 'Error',
          finishedAt: Date.now(),
        });
      });
    });
  }

  /** The process id, or undefined when it could not be started. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** How it ended, once it has. */
  get exitInfo(): InstanceExit | undefined {
    return this.exit;
  }

  /**
   * SIGTERM to the process group, SIGKILL after `graceMs`; resolves with how it ended. Calling it again
   * with a shorter grace shortens the wait.
   */
  async stop(graceMs: number): Promise<InstanceExit> {
    if (!this.exit) await this.tracker.stop(this.child, Math.max(0, graceMs));
    return this.exited;
  }
}
