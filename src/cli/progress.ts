/**
 * Progress output for long CLI operations: one timestamped plain line per step when not on a TTY or
 * under CI (logs stay greppable), the same line without the timestamp noise on a terminal; and, for a
 * followed rollout, the live view on a terminal or one line per event otherwise.
 */
import { LiveProgress } from './output/liveProgress';
import { PlainProgress } from './output/plainProgress';
import type { RolloutProgress } from './output/rolloutProgress';

export function isPlainOutput(stream: NodeJS.WriteStream = process.stdout): boolean {
  return !stream.isTTY || process.env.CI === 'true' || process.env.CI === '1';
}

export function timestamp(d = new Date()): string {
  return d
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

/** Prints one progress line to stderr (stdout stays for results, e.g. `-o json`). */
export function progress(line: string): void {
  process.stderr.write(isPlainOutput(process.stderr) ? `${timestamp()} ${line}\n` : `${line}\n`);
}

/** The progress display for a followed rollout on `stream`: the live view on a terminal, plain lines in CI or a pipe. */
export function rolloutProgress(stream: NodeJS.WriteStream = process.stderr): RolloutProgress {
  return isPlainOutput(stream) ? new PlainProgress(stream) : new LiveProgress(stream);
}
