/**
 * Starting a third-party server (Prometheus, Redis) as a tracked child process on a TCP port we cannot
 * hand it as a socket: output to a log file, wait until it answers, and try another port when the
 * one picked was taken in the meantime — which only the server's own log can tell us.
 */
import type { ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { freePort } from './ports';
import type { ProcessTracker } from './processes';
import { ServerProcessExitedError } from '../errors/serverProcessExitedError';

export { ServerProcessExitedError };

/** How to run one server program. */
export interface ServerLaunch {
  tracker: ProcessTracker;
  /** Name of the process in the tracker (its pid file). */
  name: string;
  /** The program's name for messages ("prometheus"). */
  program: string;
  binary: string;
  args: (port: number) => string[];
  logFile: string;
  /** True once the server on `port` answers as itself; may throw while it does not answer yet. */
  ready: (port: number) => Promise<boolean>;
  /** Matches the log line a server writes when it could not bind its port. */
  addressInUse: RegExp;
  /** The error to throw when the binary does not exist or cannot be run. */
  notFound: (cause: Error) => Error;
  readyTimeoutMs?: number;
}

/** The server exited (or never became ready) before it answered; carries the end of its log. */

const POLL_MS = 100;
const TAIL_LINES = 15;

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** What this launch wrote to the log (the file is appended to across restarts). */
function logSince(path: string, offset: number): string {
  try {
    return readFileSync(path).subarray(offset).toString('utf8');
  } catch {
    return '';
  }
}

function tail(text: string, lines = TAIL_LINES): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function spawned(child: ChildProcess): Promise<Error | undefined> {
  return new Promise((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', (e) => resolve(e));
  });
}

/**
 * Starts the server on `port` and resolves with the child once it is ready, or with 'portTaken' when it
 * exited because the port was in use. Rejects with `notFound()` or `ServerProcessExitedError`.
 */
export async function launchOnPort(spec: ServerLaunch, port: number): Promise<ChildProcess | 'portTaken'> {
  mkdirSync(dirname(spec.logFile), { recursive: true });
  const offset = fileSize(spec.logFile);
  const fd = openSync(spec.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spec.tracker.spawn(spec.name, spec.binary, spec.args(port), { stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd); // the child holds its own copy
  }
  const spawnError = await spawned(child);
  if (spawnError) throw spec.notFound(spawnError);
  const deadline = Date.now() + (spec.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (hasExited(child)) {
      const log = logSince(spec.logFile, offset);
      if (spec.addressInUse.test(log)) return 'portTaken';
      const how = child.signalCode ? `was killed by ${child.signalCode}` : `exited with code ${child.exitCode}`;
      throw new ServerProcessExitedError(spec.program, how, tail(log), spec.logFile);
    }
    let ok = false;
    try {
      ok = await spec.ready(port);
    } catch {
      // Not listening yet.
    }
    // Another server holding the port could answer too; only ours, still running, counts.
    if (ok && !hasExited(child)) return child;
    if (Date.now() > deadline) {
      await spec.tracker.stop(child, 2000);
      const ms = spec.readyTimeoutMs ?? 30_000;
      throw new ServerProcessExitedError(
        spec.program,
        `did not answer within ${ms} ms and was stopped`,
        tail(logSince(spec.logFile, offset)),
        spec.logFile,
      );
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/**
 * Starts the server on `preferredPort` (or a free one), moving to another free port each time the one
 * tried turns out to be taken.
 */
export async function launchOnFreePort(
  spec: ServerLaunch,
  preferredPort?: number,
  attempts = 5,
): Promise<{ child: ChildProcess; port: number }> {
  let port = preferredPort ?? (await freePort());
  for (let i = 1; ; i++) {
    const child = await launchOnPort(spec, port);
    if (child !== 'portTaken') return { child, port };
    if (i >= attempts)
      throw new Error(
        `${spec.program} could not bind a port after ${attempts} attempts (last tried ${port}); see ${spec.logFile}`,
      );
    port = await freePort();
  }
}
