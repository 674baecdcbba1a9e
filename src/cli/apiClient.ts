/**
 * A typed client for the Ramp API (src/api/schemas.ts is the contract): one method per route, every
 * answer parsed by its schema, every failure a typed error (see http.ts), requests bounded by a timeout.
 */
import { ApiRequestError, RampError } from '../errors';
import type { z } from 'zod';
import {
  dryRunResultSchema,
  rolloutListSchema,
  rolloutViewSchema,
  rolloutWithHistorySchema,
  operationResultSchema,
  type OperationName,
  type OperationResult,
  type RolloutView,
  type RolloutWithHistory,
} from '../api/schemas';
import { followEvents, type FollowItem, type FollowOptions, type StreamTarget } from './eventStream';
import { errorFromResponse, fetchFailure, parseAnswer, withTimeout, type Fetch } from './http';

/** Where the API is, the token, and how patient to be. */
export interface ApiClientOptions {
  /** Base URL, e.g. `http://127.0.0.1:8080` (no `/api/v1`). */
  server: string;
  token: string;
  /** Per request (not for the event stream, which has its own idle timeout). Default 30 s. */
  timeoutMs?: number;
  fetch?: Fetch;
  /** How long to keep retrying while the server answers 503 NOT_READY (its Redis is away). Default 60 s. */
  notReadyPatienceMs?: number;
  /** Event stream tuning: idle timeout, reconnect back-off, how long to keep trying. */
  stream?: Pick<StreamTarget, 'idleTimeoutMs' | 'backoff' | 'maxDownMs'>;
}

/** What `?dryRun=true` answers: the rollout that would start. */
export type DryRunResult = z.output<typeof dryRunResultSchema>;

interface Call<S extends z.ZodType> {
  method: 'GET' | 'POST';
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  schema: S;
  signal?: AbortSignal;
}

/** The Ramp API over HTTP; stateless, so one client serves any number of calls. */
export class RampApiClient {
  private readonly server: string;
  private readonly timeoutMs: number;

  constructor(private readonly options: ApiClientOptions) {
    this.server = options.server.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** POST …/rollouts: starts a rollout of the plan (a JS value, sent as JSON) → its view. */
  createRollout(ns: string, plan: unknown, opts: { signal?: AbortSignal } = {}): Promise<RolloutView> {
    return this.call({
      method: 'POST',
      path: rolloutsPath(ns),
      body: plan,
      schema: rolloutViewSchema,
      signal: opts.signal,
    });
  }

  /** POST …/rollouts?dryRun=true: validates against the schema and the cluster, writes nothing. */
  dryRun(ns: string, plan: unknown, opts: { signal?: AbortSignal } = {}): Promise<DryRunResult> {
    return this.call({
      method: 'POST',
      path: rolloutsPath(ns),
      query: { dryRun: 'true' },
      body: plan,
      schema: dryRunResultSchema,
      signal: opts.signal,
    });
  }

  /** GET …/rollouts: newest first as the server orders them, optionally one app's. */
  async listRollouts(
    ns: string,
    opts: { app?: string; limit?: number; signal?: AbortSignal } = {},
  ): Promise<RolloutView[]> {
    const list = await this.call({
      method: 'GET',
      path: rolloutsPath(ns),
      query: { app: opts.app, limit: opts.limit },
      schema: rolloutListSchema,
      signal: opts.signal,
    });
    return list.items;
  }

  /** GET …/rollouts/{name}: the app's latest rollout (or the one given) with its events. */
  getRollout(
    ns: string,
    name: string,
    opts: { rollout?: string; signal?: AbortSignal } = {},
  ): Promise<RolloutWithHistory> {
    return this.call({
      method: 'GET',
      path: rolloutPath(ns, name),
      query: { rollout: opts.rollout },
      schema: rolloutWithHistorySchema,
      signal: opts.signal,
    });
  }

  /** POST …/rollouts/{name}/{op}: promote (`full` for promote --full), abort, retry (→ the new attempt), pause, resume. */
  operate(
    ns: string,
    name: string,
    op: OperationName,
    opts: { full?: boolean; signal?: AbortSignal } = {},
  ): Promise<OperationResult> {
    const body = op === 'promote' && opts.full ? { full: true } : {};
    return this.call({
      method: 'POST',
      path: `${rolloutPath(ns, name)}/${op}`,
      body,
      schema: operationResultSchema,
      signal: opts.signal,
    });
  }

  /** POST …/rollouts/{name}/undo: a rollout back to an earlier promoted revision (default the one before). */
  undo(ns: string, name: string, opts: { toRevision?: string; signal?: AbortSignal } = {}): Promise<RolloutView> {
    return this.call({
      method: 'POST',
      path: `${rolloutPath(ns, name)}/undo`,
      body: opts.toRevision ? { toRevision: opts.toRevision } : {},
      schema: rolloutViewSchema,
      signal: opts.signal,
    });
  }

  /** POST …/rollouts/{name}/release: hand an adopted app back to its Deployment (a release, followed like a rollout). */
  release(ns: string, name: string, opts: { signal?: AbortSignal } = {}): Promise<RolloutView> {
    return this.call({
      method: 'POST',
      path: `${rolloutPath(ns, name)}/release`,
      body: {},
      schema: rolloutViewSchema,
      signal: opts.signal,
    });
  }

  /** GET …/events as Server-Sent Events, reconnecting with Last-Event-ID until the rollout ends (see eventStream.ts). */
  followEvents(ns: string, name: string, opts: FollowOptions = {}): AsyncGenerator<FollowItem, void, undefined> {
    return followEvents(
      { server: this.server, token: this.options.token, fetch: this.options.fetch, ...this.options.stream },
      ns,
      name,
      opts,
    );
  }

  /**
   * One call, retried while the server answers 503 NOT_READY (its Redis is away): that answer comes
   * before anything is read or written, so any request — a create included — is safe to send again.
   */
  private async call<S extends z.ZodType>(c: Call<S>): Promise<z.output<S>> {
    const patienceMs = this.options.notReadyPatienceMs ?? 60_000;
    const giveUpAt = Date.now() + patienceMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(c);
      } catch (err) {
        const notReady = err instanceof ApiRequestError && err.status === 503 && err.code === 'NOT_READY';
        const waitMs = Math.min(5000, 250 * 2 ** attempt);
        if (!notReady || Date.now() + waitMs > giveUpAt || c.signal?.aborted) throw err;
        await new Promise((res) => setTimeout(res, waitMs));
      }
    }
  }

  private async once<S extends z.ZodType>(c: Call<S>): Promise<z.output<S>> {
    const url = `${this.server}/api/v1${c.path}${queryString(c.query)}`;
    const request = `${c.method} ${url}`;
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.options.token}`,
      accept: 'application/json',
    };
    if (c.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await (this.options.fetch ?? fetch)(url, {
        method: c.method,
        headers,
        body: c.body === undefined ? undefined : JSON.stringify(c.body),
        signal: withTimeout(c.signal, this.timeoutMs),
      });
    } catch (err) {
      throw fetchFailure(err, this.server, c.signal, this.timeoutMs);
    }
    if (!res.ok) throw await errorFromResponse(res, request);
    try {
      return await parseAnswer(res, c.schema, request);
    } catch (err) {
      // The body can fail to arrive too (timeout, reset): that is the server not answering.
      throw err instanceof RampError ? err : fetchFailure(err, this.server, c.signal, this.timeoutMs);
    }
  }
}

function rolloutsPath(ns: string): string {
  return `/namespaces/${encodeURIComponent(ns)}/rollouts`;
}

function rolloutPath(ns: string, name: string): string {
  return `${rolloutsPath(ns)}/${encodeURIComponent(name)}`;
}

function queryString(q: Record<string, string | number | undefined> | undefined): string {
  const entries = Object.entries(q ?? {}).filter((e): e is [string, string | number] => e[1] !== undefined);
  return entries.length
    ? `?${new URLSearchParams(entries.map(([k, v]): [string, string] => [k, String(v)])).toString()}`
    : '';
}
