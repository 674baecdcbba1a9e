/**
 * ClusterApi over HTTPS to a Kubernetes API server (the real kube-apiserver of `--control-plane
 * kubernetes`, or the home-made one over the wire), with a bearer token and the cluster's CA — what a
 * kubelet or a controller does with client-go, in the few calls the sandbox makes. Errors are the
 * server's `Status` bodies as StatusErrors.
 */
import type { IncomingMessage } from 'node:http';
import { Agent, request } from 'node:https';
import { StatusError, type StatusBody, type StatusReason } from '../apiServer/statusError';
import type { KubeObject } from '../apiServer/types';
import type {
  ApiResource,
  ClusterApi,
  ClusterDeleteOptions,
  ClusterEvent,
  ClusterListOptions,
  ClusterWatch,
  IssuedToken,
  TokenRequestInput,
} from './clusterApi';
import { HttpWatch } from './httpWatch';

export interface HttpClusterOptions {
  /** `https://host:port` */
  server: string;
  caPem: string;
  token: string;
  /** Sent as User-Agent (the API server's audit and request logs show it). */
  userAgent?: string;
  /** Per request, watches excepted. Default 30 s. */
  timeoutMs?: number;
}

const PAGE = 500;

const REASON_BY_CODE: Record<number, StatusReason> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** The REST path of a resource's collection or one object (and a subresource of it). */
export function resourcePath(r: ApiResource, namespace?: string, name?: string, subresource?: string): string {
  const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  const ns = r.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const obj = name === undefined ? '' : `/${encodeURIComponent(name)}`;
  return `${base}${ns}/${r.resource}${obj}${subresource ? `/${subresource}` : ''}`;
}

function statusError(code: number, text: string): StatusError {
  let body: Partial<StatusBody> | undefined;
  try {
    body = JSON.parse(text) as Partial<StatusBody>;
  } catch {
    body = undefined;
  }
  const reason = body?.reason ?? REASON_BY_CODE[code] ?? 'InternalError';
  const err = new StatusError(reason, body?.message ?? (text.trim() || `HTTP ${code}`), body?.details ?? {});
  return err;
}

function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export class HttpCluster implements ClusterApi {
  readonly kind = 'kubernetes' as const;
  private readonly agent: Agent;
  private readonly url: URL;

  constructor(private readonly opts: HttpClusterOptions) {
    this.url = new URL(opts.server);
    this.agent = new Agent({ keepAlive: true, ca: opts.caPem });
  }

  /** One request; resolves with the parsed JSON body, rejects with a StatusError for a non-2xx answer. */
  async call<T = KubeObject>(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<T> {
    const res = await this.send(method, path, body, contentType, this.opts.timeoutMs ?? 30_000);
    const text = await readText(res);
    const code = res.statusCode ?? 0;
    if (code < 200 || code > 299) throw statusError(code, text);
    return (text ? JSON.parse(text) : {}) as T;
  }

  /** Opens a streaming GET (a watch) with no timeout; the caller reads (and destroys) the response. */
  stream(path: string): Promise<IncomingMessage> {
    return this.send('GET', path, undefined, 'application/json', 0);
  }

  private send(
    method: string,
    path: string,
    body: unknown,
    contentType: string,
    timeoutMs: number,
  ): Promise<IncomingMessage> {
    const data = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(
        {
          host: this.url.hostname,
          port: this.url.port,
          path,
          method,
          agent: this.agent,
          headers: {
            authorization: `Bearer ${this.opts.token}`,
            accept: 'application/json',
            'user-agent': this.opts.userAgent ?? 'ramp-sandbox',
            ...(data === undefined ? {} : { 'content-type': contentType, 'content-length': Buffer.byteLength(data) }),
          },
        },
        resolve,
      );
      req.on('error', reject);
      if (timeoutMs > 0) req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout: ${method} ${path}`)));
      req.end(data);
    });
  }

  async get(r: ApiResource, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
    try {
      return await this.call('GET', resourcePath(r, namespace, name));
    } catch (e) {
      if (e instanceof StatusError && e.reason === 'NotFound') return undefined;
      throw e;
    }
  }

  async list(r: ApiResource, opts: ClusterListOptions = {}): Promise<KubeObject[]> {
    return (await this.listWithVersion(r, opts)).items;
  }

  /** All pages of a list and the resourceVersion to watch from. */
  async listWithVersion(
    r: ApiResource,
    opts: ClusterListOptions,
  ): Promise<{ items: KubeObject[]; resourceVersion: string }> {
    const items: KubeObject[] = [];
    let cont: string | undefined;
    let resourceVersion = '';
    do {
      const page = await this.call<{
        items?: KubeObject[];
        metadata?: { continue?: string; resourceVersion?: string };
      }>(
        'GET',
        resourcePath(r, opts.namespace) +
          query({ labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, limit: PAGE, continue: cont }),
      );
      const apiVersion = r.group ? `${r.group}/${r.version}` : r.version;
      // Items of a list carry no apiVersion/kind on the wire; callers expect whole objects.
      for (const o of page.items ?? []) items.push({ ...o, apiVersion, kind: r.kind });
      cont = page.metadata?.continue || undefined;
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
    } while (cont);
    return { items, resourceVersion };
  }

  create(r: ApiResource, namespace: string | undefined, body: KubeObject): Promise<KubeObject> {
    return this.call('POST', resourcePath(r, namespace), body);
  }

  update(
    r: ApiResource,
    namespace: string | undefined,
    name: string,
    body: KubeObject,
    opts: { subresource?: 'status' } = {},
  ): Promise<KubeObject> {
    return this.call('PUT', resourcePath(r, namespace, name, opts.subresource), body);
  }

  /** A JSON merge patch (RFC 7386). */
  patch(r: ApiResource, namespace: string | undefined, name: string, patch: unknown): Promise<KubeObject> {
    return this.call('PATCH', resourcePath(r, namespace, name), patch, 'application/merge-patch+json');
  }

  async delete(
    r: ApiResource,
    namespace: string | undefined,
    name: string,
    opts: ClusterDeleteOptions = {},
  ): Promise<void> {
    await this.call('DELETE', resourcePath(r, namespace, name), {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      ...(opts.gracePeriodSeconds === undefined ? {} : { gracePeriodSeconds: opts.gracePeriodSeconds }),
      ...(opts.preconditions ? { preconditions: opts.preconditions } : {}),
    });
  }

  watch(r: ApiResource, opts: ClusterListOptions, listener: (e: ClusterEvent) => void): ClusterWatch {
    return new HttpWatch(this, r, opts, listener);
  }

  async requestToken(namespace: string, serviceAccount: string, input: TokenRequestInput): Promise<IssuedToken> {
    const sa: ApiResource = {
      group: '',
      version: 'v1',
      resource: 'serviceaccounts',
      kind: 'ServiceAccount',
      namespaced: true,
    };
    const answer = await this.call<{ status?: IssuedToken }>(
      'POST',
      resourcePath(sa, namespace, serviceAccount, 'token'),
      {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: {
          audiences: input.audiences ?? [],
          expirationSeconds: input.expirationSeconds,
          ...(input.boundPod
            ? { boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: input.boundPod.name, uid: input.boundPod.uid } }
            : {}),
        },
      },
    );
    if (!answer.status?.token) throw new StatusError('InternalError', 'the TokenRequest answer has no token');
    return answer.status;
  }

  close(): void {
    this.agent.destroy();
  }
}

function readText(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => (text += c));
    res.on('end', () => resolve(text));
    res.on('error', reject);
  });
}
