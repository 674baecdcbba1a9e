/**
 * Structured JSON logs (pino) for the sandbox process, in the same shape as Ramp's own (name, level,
 * pid), so one tool reads both. One logger per process; components take a child with their name.
 */
import { mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  name: string;
  level?: string;
  /** A file to append to; default stderr (fd 2). */
  file?: string;
}

/** A pino logger writing JSON lines to `file` (or stderr), at LOG_LEVEL (default info). */
export function createLogger(opts: LoggerOptions): Logger {
  const destination = opts.file ? fileDestination(opts.file) : pino.destination(2);
  return pino(
    { name: opts.name, level: opts.level ?? process.env.LOG_LEVEL ?? 'info', base: { pid: process.pid } },
    destination,
  );
}

/**
 * The log file, opened now rather than in the background: a process that exits early (a port taken at
 * start) would otherwise crash in pino's exit flush ("sonic boom is not ready yet") and hide its own
 * message behind that stack trace.
 */
function fileDestination(file: string) {
  mkdirSync(dirname(file), { recursive: true });
  return pino.destination({ fd: openSync(file, 'a'), sync: false });
}

/** A logger that drops everything (library use in tests that do not want output). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
