/**
 * `kubectl logs` for the sandbox: picks the container and instance as the kubelet does (with its error
 * messages), then streams the CRI log file — last N lines, timestamps, a byte limit, and following new
 * lines while the instance still runs.
 */
import { existsSync, readdirSync } from 'node:fs';
import { open as openFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { Pod } from 'kubernetes-types/core/v1';
import type { PodLogOptions } from '../apiServer/podLogSource';
import { StatusError } from '../apiServer/statusError';
import { parseCriLine, podLogDir } from './logWriter';

/** How often a follower looks for new lines. */
const FOLLOW_POLL_MS = 100;

/** Instance numbers with a log file, ascending. */
function instances(dir: string): number[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((f) => /^(\d+)\.log$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/** The log file `opts` asks for; throws BadRequest StatusErrors worded as the kubelet's. */
export function selectLogFile(stateDir: string, pod: Pod, opts: Pick<PodLogOptions, 'container' | 'previous'>): string {
  const name = pod.metadata?.name ?? '';
  const names = (pod.spec?.containers ?? []).map((c) => c.name);
  const all = [...names, ...(pod.spec?.initContainers ?? []).map((c) => c.name)];
  let container = opts.container;
  if (!container) {
    if (names.length !== 1)
      throw StatusError.badRequest(
        `a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`,
      );
    container = names[0];
  }
  if (!all.includes(container)) throw StatusError.badRequest(`container ${container} is not valid for pod ${name}`);
  const dir = join(
    podLogDir(stateDir, { namespace: pod.metadata?.namespace ?? 'default', name, uid: pod.metadata?.uid ?? '' }),
    container,
  );
  const found = instances(dir);
  const latest = found[found.length - 1];
  if (opts.previous) {
    if (latest === undefined || !found.includes(latest - 1)) {
      throw StatusError.badRequest(`previous terminated container "${container}" in pod "${name}" not found`);
    }
    return join(dir, `${latest - 1}.log`);
  }
  if (latest === undefined) {
    const status = pod.status?.containerStatuses?.find((s) => s.name === container);
    const reason = status?.state?.waiting?.reason ?? 'ContainerCreating';
    throw StatusError.badRequest(`container "${container}" in pod "${name}" is waiting to start: ${reason}`);
  }
  return join(dir, `${latest}.log`);
}

/** Turns CRI lines into output lines, joining partial pieces. */
class LineAssembler {
  private partial = '';
  private rest = '';

  constructor(private readonly timestamps: boolean) {}

  /** Complete output lines in `chunk` (file text); keeps an unfinished line for the next call. */
  push(chunk: string): string[] {
    const text = this.rest + chunk;
    const parts = text.split('\n');
    this.rest = parts.pop() ?? '';
    const out: string[] = [];
    for (const raw of parts) {
      const line = parseCriLine(raw);
      if (!line) continue;
      if (line.partial) {
        this.partial += line.text;
        continue;
      }
      out.push(`${this.timestamps ? line.time + ' ' : ''}${this.partial}${line.text}\n`);
      this.partial = '';
    }
    return out;
  }
}

/** Options for streaming one log file. */
export interface LogStreamOptions {
  follow: boolean;
  tailLines?: number;
  timestamps: boolean;
  limitBytes?: number;
  /** While true, the file may still grow (followers wait for more). */
  isLive(): boolean;
}

/** Streams a CRI log file as plain output lines. */
export function streamLogFile(path: string, opts: LogStreamOptions): Readable {
  let wake: (() => void) | undefined;
  let destroyed = false;
  const stream = new Readable({
    read() {
      wake?.();
    },
    destroy(err, cb) {
      destroyed = true;
      wake?.();
      cb(err);
    },
  });
  let sent = 0;
  const limit = opts.limitBytes && opts.limitBytes > 0 ? opts.limitBytes : Infinity;
  // Resolves when the consumer wants more (or went away).
  const emit = async (lines: string[]): Promise<boolean> => {
    for (const line of lines) {
      if (destroyed) return false;
      const buf = Buffer.from(line, 'utf8');
      const room = limit - sent;
      const piece = buf.length > room ? buf.subarray(0, room) : buf;
      sent += piece.length;
      if (!stream.push(piece)) await new Promise<void>((r) => (wake = r));
      if (sent >= limit) return false;
    }
    return !destroyed;
  };
  const pump = async (): Promise<void> => {
    const assembler = new LineAssembler(opts.timestamps);
    const decoder = new StringDecoder('utf8');
    let handle: FileHandle | undefined;
    try {
      handle = await openFile(path, 'r');
      let offset = 0;
      const readNew = async (): Promise<string[]> => {
        const out: string[] = [];
        const buf = Buffer.alloc(64 * 1024);
        for (;;) {
          const { bytesRead } = await (handle as FileHandle).read(buf, 0, buf.length, offset);
          if (bytesRead === 0) return out;
          offset += bytesRead;
          out.push(...assembler.push(decoder.write(buf.subarray(0, bytesRead))));
        }
      };
      let first = await readNew();
      if (opts.tailLines !== undefined && opts.tailLines >= 0)
        first = opts.tailLines === 0 ? [] : first.slice(-opts.tailLines);
      let more = await emit(first);
      while (more && opts.follow) {
        const live = opts.isLive();
        const lines = await readNew();
        more = await emit(lines);
        if (!live) break;
        if (lines.length === 0) await new Promise<void>((r) => setTimeout(r, FOLLOW_POLL_MS));
        if (destroyed) break;
      }
      if (!destroyed) stream.push(null);
    } catch (e) {
      if (!destroyed) stream.destroy(e as Error);
    } finally {
      await handle?.close().catch(() => undefined);
    }
  };
  void pump();
  return stream;
}
