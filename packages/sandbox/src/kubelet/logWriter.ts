/**
 * Container log files as the kubelet keeps them: `<stateDir>/pods/<ns>_<pod>_<uid>/<container>/<n>.log`
 * (n = restart count), one line per output line in the CRI format `<RFC 3339 nano time> <stream> <F|P> <text>`,
 * so a reader can add timestamps and tell stdout from stderr.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

/** The identity of a pod's log directory. */
export interface PodLogKey {
  namespace: string;
  name: string;
  uid: string;
}

/** `<stateDir>/pods/<ns>_<pod>_<uid>`. */
export function podLogDir(stateDir: string, pod: PodLogKey): string {
  return join(stateDir, 'pods', `${pod.namespace}_${pod.name}_${pod.uid}`);
}

/** The log file of one instance of a container. */
export function containerLogPath(stateDir: string, pod: PodLogKey, container: string, restartCount: number): string {
  return join(podLogDir(stateDir, pod), container, `${restartCount}.log`);
}

/** RFC 3339 with nanoseconds, as CRI log lines and `kubectl logs --timestamps` show time. */
export function rfc3339Nano(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

/** One parsed CRI log line. */
export interface CriLine {
  time: string;
  stream: 'stdout' | 'stderr';
  partial: boolean;
  text: string;
}

/** Parses one line of a CRI log file (without its newline); undefined if it is malformed. */
export function parseCriLine(line: string): CriLine | undefined {
  const a = line.indexOf(' ');
  const b = line.indexOf(' ', a + 1);
  const c = line.indexOf(' ', b + 1);
  if (a < 0 || b < 0) return undefined;
  const stream = line.slice(a + 1, b);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const tag = c < 0 ? line.slice(b + 1) : line.slice(b + 1, c);
  return { time: line.slice(0, a), stream, partial: tag === 'P', text: c < 0 ? '' : line.slice(c + 1) };
}

/** A line longer than this is written in partial ('P') pieces, as container runtimes do. */
const MAX_LINE = 16 * 1024;

/** Writes a container instance's stdout and stderr into its CRI log file. */
export class ContainerLogWriter {
  private readonly out: WriteStream;
  private readonly pending = new Map<string, string>();
  private readonly open = new Set<Readable>();
  private closing: Promise<void> | undefined;
  private finished = false;

  constructor(readonly path: string) {
    mkdirSync(join(path, '..'), { recursive: true });
    this.out = createWriteStream(path, { flags: 'a' });
    this.out.on('error', () => undefined);
  }

  /** True until `close()` has finished writing the file: a follower keeps reading while it is. */
  get live(): boolean {
    return !this.finished;
  }

  /** Copies `stream` (a child's stdout or stderr) into the file, line by line. */
  attach(stream: Readable | null | undefined, name: 'stdout' | 'stderr'): void {
    if (!stream) return;
    this.open.add(stream);
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => this.write(name, chunk));
    const done = (): void => {
      if (!this.open.delete(stream)) return;
      this.flush(name);
    };
    stream.on('end', done);
    stream.on('close', done);
    stream.on('error', () => undefined);
  }

  private write(name: 'stdout' | 'stderr', chunk: string): void {
    let text = (this.pending.get(name) ?? '') + chunk;
    const now = rfc3339Nano(Date.now());
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n')) {
      this.out.write(`${now} ${name} F ${text.slice(0, nl)}\n`);
      text = text.slice(nl + 1);
    }
    while (text.length > MAX_LINE) {
      this.out.write(`${now} ${name} P ${text.slice(0, MAX_LINE)}\n`);
      text = text.slice(MAX_LINE);
    }
    this.pending.set(name, text);
  }

  private flush(name: 'stdout' | 'stderr'): void {
    const rest = this.pending.get(name);
    if (rest) this.out.write(`${rfc3339Nano(Date.now())} ${name} F ${rest}\n`);
    this.pending.delete(name);
  }

  /**
   * Finishes the file: waits up to `waitMs` for the streams to end (output still in the pipe), then
   * drops them. Safe to call twice.
   */
  close(waitMs = 1000): Promise<void> {
    this.closing ??= (async () => {
      const deadline = Date.now() + waitMs;
      while (this.open.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      for (const s of [...this.open]) s.destroy();
      for (const name of [...this.pending.keys()] as ('stdout' | 'stderr')[]) this.flush(name);
      await new Promise<void>((resolve) => this.out.end(() => resolve()));
      this.finished = true;
    })();
    return this.closing;
  }
}
