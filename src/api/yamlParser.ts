/**
 * YAML request bodies parsed off the event loop, one at a time in a worker thread, each with a
 * deadline. The yaml library parses about a microsecond per byte and worse on some shapes, and a parse
 * cannot be interrupted: on the event loop, a hostile body would stall every other request (and an
 * in-process worker's reconciles) for as long as it takes. Here a body that takes longer than the
 * deadline is refused (400) and its worker thread terminated and replaced; bodies wait their turn in a
 * bounded queue (429 beyond it). The text is scanned first (src/plan/documentLimits.ts), so the
 * pathological shapes never reach a worker. `close()` is safe to call twice.
 */
import { BadRequestError, TooManyRequestsError } from '../errors';
import { Worker } from 'node:worker_threads';
import { documentResult, MAX_ALIAS_COUNT, type DocumentResult, type ParsedDocuments } from '../plan/document';

export interface YamlParserOptions {
  /** How long one body may take to parse (ms). Default 2000. */
  deadlineMs?: number;
  /** Bodies waiting for the worker beyond the one it parses; more get 429. Default 16. */
  maxQueue?: number;
  /** The worker thread's heap (MB): a body cannot take more memory than this. Default 256. */
  maxHeapMb?: number;
}

export type YamlParserState = 'open' | 'closed';

/** What the worker thread runs: src/plan/document.ts's parseDocuments, in plain JavaScript. Keep the two alike. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const YAML = require(workerData.yamlPath);
parentPort.postMessage({ ready: true });
parentPort.on('message', ({ id, text }) => {
  let parsed;
  try {
    const docs = YAML.parseAllDocuments(text, { prettyErrors: true });
    const first = docs[0];
    parsed = {
      count: docs.length,
      empty: docs.length === 0 || (docs.length === 1 && first.contents === null),
      errors: ((first && first.errors) || []).map((e) => ({
        message: e.message.split('\\n')[0],
        line: e.linePos ? e.linePos[0].line : undefined,
        col: e.linePos ? e.linePos[0].col : undefined,
      })),
    };
    if (docs.length === 1 && !parsed.empty && parsed.errors.length === 0) {
      try {
        parsed.value = first.toJS({ maxAliasCount: workerData.maxAliasCount });
      } catch (err) {
        parsed.toJsError = String(err && err.message).split('\\n')[0];
      }
    }
  } catch (err) {
    parsed = { count: 1, empty: false, errors: [{ message: String(err && err.message).split('\\n')[0] }] };
  }
  parentPort.postMessage({ id, parsed });
});
`;

interface Job {
  id: number;
  text: string;
  path: string;
  resolve: (r: DocumentResult) => void;
  reject: (e: unknown) => void;
}

export class YamlParser {
  private readonly deadlineMs: number;
  private readonly maxQueue: number;
  private readonly maxHeapMb: number;
  private readonly queue: Job[] = [];
  private worker?: Worker;
  /** The worker has loaded the parser: deadlines count from here, not from its start-up. */
  private ready = false;
  private current?: { job: Job; timer: NodeJS.Timeout };
  private nextId = 1;
  private stateValue: YamlParserState = 'open';
  /** Bodies refused for taking too long (the worker replaced each time). */
  timedOut = 0;

  constructor(opts: YamlParserOptions = {}) {
    this.deadlineMs = opts.deadlineMs ?? 2000;
    this.maxQueue = opts.maxQueue ?? 16;
    this.maxHeapMb = opts.maxHeapMb ?? 256;
  }

  get state(): YamlParserState {
    return this.stateValue;
  }

  /** The document `text` holds, problems at `path`; BadRequestError past the deadline, TooManyRequestsError when the queue is full. */
  parse(text: string, path = 'body'): Promise<DocumentResult> {
    if (this.stateValue !== 'open')
      return Promise.reject(new TooManyRequestsError('YAML bodies being read (the server is stopping)', 0, 1));
    if (this.queue.length >= this.maxQueue)
      return Promise.reject(new TooManyRequestsError('YAML bodies being read at once', this.maxQueue, 1));
    return new Promise<DocumentResult>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, text, path, resolve, reject });
      this.pump();
    });
  }

  private spawn(): Worker {
    const w = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { yamlPath: require.resolve('yaml'), maxAliasCount: MAX_ALIAS_COUNT },
      resourceLimits: { maxOldGenerationSizeMb: this.maxHeapMb },
    });
    w.unref();
    this.ready = false;
    w.on('message', (m: { ready?: true; id: number; parsed: ParsedDocuments }) => {
      if (m.ready) {
        if (this.worker === w) this.ready = true;
        this.pump();
      } else this.finished(m.id, m.parsed);
    });
    w.on('error', (err) => this.lost(w, err));
    w.on('exit', () => this.lost(w, new Error('the YAML worker exited')));
    return w;
  }

  private pump(): void {
    if (this.current || this.stateValue !== 'open' || this.queue.length === 0) return;
    this.worker ??= this.spawn();
    if (!this.ready) return;
    const job = this.queue.shift() as Job;
    const timer = setTimeout(() => this.expire(job), this.deadlineMs);
    this.current = { job, timer };
    this.worker.postMessage({ id: job.id, text: job.text });
  }

  private finished(id: number, parsed: ParsedDocuments): void {
    if (!this.current || this.current.job.id !== id) return;
    const { job, timer } = this.current;
    clearTimeout(timer);
    this.current = undefined;
    job.resolve(documentResult(parsed, job.path));
    this.pump();
  }

  /** The body took too long: refuse it, and replace the worker (a parse cannot be stopped any other way). */
  private expire(job: Job): void {
    if (this.current?.job !== job) return;
    this.timedOut++;
    this.current = undefined;
    const w = this.worker;
    this.worker = undefined;
    this.ready = false;
    void w?.terminate();
    job.reject(
      new BadRequestError(
        `the YAML body took longer than ${this.deadlineMs} ms to read; send JSON, or a smaller plan`,
        [{ path: job.path, message: 'too costly to parse' }],
      ),
    );
    this.pump();
  }

  /** The worker died (out of its heap, or terminated): the body it held is refused; the next one gets a new worker. */
  private lost(w: Worker, err: unknown): void {
    if (this.worker !== w) return;
    this.worker = undefined;
    this.ready = false;
    const cur = this.current;
    this.current = undefined;
    if (cur) {
      clearTimeout(cur.timer);
      cur.job.reject(
        new BadRequestError(
          'the YAML body could not be read within the limits; send JSON, or a smaller plan',
          [{ path: cur.job.path, message: 'too costly to parse' }],
          { cause: err },
        ),
      );
    }
    this.pump();
  }

  /** Refuses what waits, stops the worker. */
  async close(): Promise<void> {
    if (this.stateValue === 'closed') return;
    this.stateValue = 'closed';
    const waiting = [...this.queue.splice(0), ...(this.current ? [this.current.job] : [])];
    if (this.current) clearTimeout(this.current.timer);
    this.current = undefined;
    for (const j of waiting)
      j.reject(new TooManyRequestsError('YAML bodies being read (the server is stopping)', 0, 1));
    const w = this.worker;
    this.worker = undefined;
    await w?.terminate();
  }
}
