/**
 * Structured JSON logs (pino) for the sandbox process, in the same shape as Ramp's own (name, level,
 * pid), so one tool reads both. One logger per process; components take a child with their name.
 */
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
  const destination = opts.file ? pino.destination({ dest: opts.file, mkdir: true, sync: false }) : pino.destination(2);
  return pino(
    { name: opts.name, level: opts.level ?? process.env.LOG_LEVEL ?? 'info', base: { pid: process.pid } },
    destination,
  );
}

/** A logger that drops everything (library use in tests that do not want output). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
