/**
 * Ramp's one door to the Kubernetes API: @kubernetes/client-node 1.4's core, apps and custom-objects
 * APIs, with a timeout on every request, bounded retries of transient failures, failures turned into
 * typed errors, and counts of what was asked. Everything in src/kube sends through `call()`.
 */
import {
  KubeClientClosedError,
  KubeConfigError,
  KubeConflictError,
  KubeNotFoundError,
  KubeRequestError,
  KubeTransientError,
} from '../errors';
import { shareAgents } from './agentCache';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  AppsV1Api,
  type ConfigurationOptions,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  Observable,
  type ObservableMiddleware,
} from '@kubernetes/client-node';
import {
  classifyFailure,
  DEFAULT_RETRY_POLICY,
  type Failure,
  type RequestOutcome,
  retryDelayMs,
  type RetryPolicy,
} from './requestPolicy';
import { type KubeRequestStats, type KubeVerb, RequestCounter } from './requestStats';

export type { KubeRequestStats, KubeVerb } from './requestStats';
export type { RequestOutcome } from './requestPolicy';

/** Called after every attempt (retries included): what was asked, how it ended, how long it took. */
export type RequestHook = (verb: KubeVerb, resource: string, outcome: RequestOutcome, ms: number) => void;

export interface KubeClientOptions {
  /** Per attempt, from sending to the whole answer read. Default 10 s. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  onRequest?: RequestHook;
  /** Sent as User-Agent, so the API server's audit log names Ramp. Default `ramp`. */
  userAgent?: string;
  /** Jitter source for back-off; default Math.random (tests may seed it). */
  random?: () => number;
}

/** open → closed; a closed client refuses new requests and abandons those in flight or waiting to retry. */
export type KubeClientState = 'open' | 'closed';

const IN_CLUSTER_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** Loads a kubeconfig: the given file, else $KUBECONFIG, else the in-cluster service account, else ~/.kube/config. */
export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (path) kc.loadFromFile(path);
    else if (process.env.KUBECONFIG) kc.loadFromDefault();
    else if (process.env.KUBERNETES_SERVICE_HOST && existsSync(IN_CLUSTER_TOKEN)) kc.loadFromCluster();
    else if (existsSync(join(homedir(), '.kube', 'config'))) kc.loadFromFile(join(homedir(), '.kube', 'config'));
    else
      throw new KubeConfigError(
        'no Kubernetes configuration: pass a kubeconfig path, set KUBECONFIG, run in a cluster, or create ~/.kube/config',
      );
  } catch (e) {
    if (e instanceof KubeConfigError) throw e;
    throw new KubeConfigError(`cannot load the kubeconfig${path ? ` ${path}` : ''}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  if (!kc.getCurrentCluster())
    throw new KubeConfigError(`the kubeconfig${path ? ` ${path}` : ''} has no current context with a cluster`);
  return kc;
}

function errorFor(verb: KubeVerb, resource: string, f: Exclude<Failure, { kind: 'transient' }>, cause: unknown): Error {
  switch (f.kind) {
    case 'conflict':
      return new KubeConflictError(verb, resource, f.reason, f.message, { cause });
    case 'notFound':
      return new KubeNotFoundError(verb, resource, f.message, { cause });
    default:
      return new KubeRequestError(verb, resource, f.status, f.reason, f.message, { cause });
  }
}

/** A Kubernetes API client with timeouts, retries, typed errors and request counts. */
export class KubeClient {
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  /** HTTPRoutes and other custom resources; answers are untyped, narrow them where read. */
  readonly custom: CustomObjectsApi;
  private stateValue: KubeClientState = 'open';
  private readonly closer = new AbortController();
  private readonly counter = new RequestCounter();
  private readonly hooks = new Set<RequestHook>();
  private readonly timeoutMs: number;
  private readonly retry: RetryPolicy;
  private readonly userAgent: string;
  private readonly random: () => number;
  private readonly destroyAgents: () => void;

  constructor(
    readonly kubeConfig: KubeConfig,
    options: KubeClientOptions = {},
  ) {
    this.destroyAgents = shareAgents(kubeConfig);
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.apps = kubeConfig.makeApiClient(AppsV1Api);
    this.custom = kubeConfig.makeApiClient(CustomObjectsApi);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.userAgent = options.userAgent ?? 'ramp';
    this.random = options.random ?? Math.random;
    if (options.onRequest) this.hooks.add(options.onRequest);
  }

  /** A client from a kubeconfig file, or (no path) from $KUBECONFIG, then the in-cluster service account. */
  static fromKubeconfig(path?: string, options?: KubeClientOptions): KubeClient {
    return new KubeClient(loadKubeConfig(path), options);
  }

  get state(): KubeClientState {
    return this.stateValue;
  }

  /** Adds a hook called after every attempt; returns its removal. A hook that throws is ignored. */
  onRequest(hook: RequestHook): () => void {
    this.hooks.add(hook);
    return () => void this.hooks.delete(hook);
  }

  /** Counts since the client was made. */
  stats(): KubeRequestStats {
    return this.counter.snapshot();
  }

  /**
   * Sends one request through `send` (which calls a client-node method with the options it is given,
   * chaining its own with setHeaderOptions if it needs a header). Transient failures are retried with
   * back-off up to the policy's attempts, then KubeTransientError; 409 → KubeConflictError, 404 →
   * KubeNotFoundError, anything else → KubeRequestError.
   */
  async call<T>(verb: KubeVerb, resource: string, send: (options: ConfigurationOptions) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      if (this.stateValue === 'closed') throw new KubeClientClosedError(verb, resource);
      const started = performance.now();
      const timeout = AbortSignal.timeout(this.timeoutMs);
      try {
        const result = await send(this.optionsFor(AbortSignal.any([timeout, this.closer.signal])));
        this.record(verb, resource, 'ok', attempt, started);
        return result;
      } catch (e) {
        if (this.closer.signal.aborted) throw new KubeClientClosedError(verb, resource);
        const failure = classifyFailure(e, timeout.aborted);
        this.record(verb, resource, failure.kind, attempt, started);
        if (failure.kind !== 'transient') throw errorFor(verb, resource, failure, e);
        if (attempt >= this.retry.maxAttempts)
          throw new KubeTransientError(verb, resource, attempt, failure.label, { cause: e });
        await this.pause(retryDelayMs(this.retry, attempt, failure.retryAfterMs, this.random), verb, resource);
      }
    }
  }

  /** A get through `call()` that answers undefined for 404 instead of throwing. */
  async readOrUndefined<T>(
    resource: string,
    send: (options: ConfigurationOptions) => Promise<T>,
  ): Promise<T | undefined> {
    try {
      return await this.call('get', resource, send);
    } catch (e) {
      if (e instanceof KubeNotFoundError) return undefined;
      throw e;
    }
  }

  /** Abandons requests in flight and retries waiting; later calls reject. Safe to call twice. */
  close(): Promise<void> {
    if (this.stateValue === 'closed') return Promise.resolve();
    this.stateValue = 'closed';
    this.closer.abort();
    this.destroyAgents();
    return Promise.resolve();
  }

  private optionsFor(signal: AbortSignal): ConfigurationOptions {
    const userAgent = this.userAgent;
    const middleware: ObservableMiddleware = {
      pre: (ctx) => {
        ctx.setSignal(signal);
        ctx.setHeaderParam('User-Agent', userAgent);
        return new Observable(Promise.resolve(ctx));
      },
      post: (res) => new Observable(Promise.resolve(res)),
    };
    return { middleware: [middleware], middlewareMergeStrategy: 'append' };
  }

  private record(verb: KubeVerb, resource: string, outcome: RequestOutcome, attempt: number, started: number): void {
    this.counter.record(verb, resource, outcome, attempt > 1);
    const ms = performance.now() - started;
    for (const hook of this.hooks) {
      try {
        hook(verb, resource, outcome, ms);
      } catch {
        // Metrics must never fail a request.
      }
    }
  }

  private pause(ms: number, verb: KubeVerb, resource: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const onClose = (): void => {
        clearTimeout(timer);
        reject(new KubeClientClosedError(verb, resource));
      };
      const timer = setTimeout(() => {
        this.closer.signal.removeEventListener('abort', onClose);
        resolve();
      }, ms);
      this.closer.signal.addEventListener('abort', onClose, { once: true });
    });
  }
}
