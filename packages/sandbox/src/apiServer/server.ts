/**
 * The sandbox's Kubernetes API server over HTTP on loopback: authentication, fault injection,
 * discovery, OpenAPI, and the resource verbs, speaking what kubectl and @kubernetes/client-node expect.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import YAML from 'yaml';
import { isAdmin, type TokenAuthenticator, type UserInfo } from './auth';
import {
  aggregatedDiscovery,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  SERVER_VERSION,
  wantsAggregated,
} from './discovery';
import { FaultInjector, type FaultAction, type RequestInfo } from './faults';
import { handleResource } from './handlers';
import { openApiDocuments } from './openapi/schemas';
import { OPENAPI_V2_PROTOBUF, openApiV2Document, wantsOpenApiV2Protobuf } from './openapi/v2';
import { decodeKubeProtobuf, isKubeProtobuf } from './protobuf/decode';
import { patchTypeOf, type PatchType } from './patch';
import type { PodLogSource } from './podLogSource';
import type { Registry } from './registry';
import { parsePath, type ResourceRequest } from './requestInfo';
import { StatusError } from './statusError';
import { streamWatch } from './watchStream';
import { groupVersions } from './resources';

export interface ApiServerOptions {
  registry: Registry;
  auth: TokenAuthenticator;
  /** Serving certificate and key (PEM); see certificates.ts. */
  tls: { cert: string; key: string };
  faults?: FaultInjector;
  logs?: PodLogSource;
  host?: string;
  port?: number;
  bookmarkIntervalMs?: number;
  watchTimeoutMs?: number;
  maxBodyBytes?: number;
  /** Called for requests that failed inside the server (never for a client's bad input). */
  onInternalError?: (err: unknown, method: string, url: string) => void;
}

export type ApiServerState = 'idle' | 'listening' | 'closing' | 'closed';

/** Counts of requests by verb and resource, for measuring what clients cost. */
export type RequestCounts = Record<string, number>;

/** One served request, kept in a bounded log so tests can check what a client asked. */
export interface RequestRecord {
  method: string;
  url: string;
  status: number;
  userAgent: string;
}

const REQUEST_LOG_LIMIT = 2000;

const OPEN_PATHS = new Set(['/healthz', '/livez', '/readyz']);

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new BodyTooLarge());
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseBody(raw: Buffer, contentType: string | undefined, patchType: PatchType | undefined): unknown {
  if (raw.length === 0) return undefined;
  // kubectl ≥ 1.32 sends typed creates of built-in kinds as Kubernetes protobuf.
  if (isKubeProtobuf(contentType) && patchType === undefined) return decodeKubeProtobuf(raw).object;
  const text = raw.toString('utf8');
  const ct = (contentType ?? '').split(';')[0].trim().toLowerCase();
  try {
    if (patchType === 'apply' || ct === 'application/yaml' || ct === 'application/x-yaml') return YAML.parse(text);
    if (ct !== '' && !ct.includes('json'))
      throw new StatusError(
        'UnsupportedMediaType',
        `unsupported content type ${ct}: send application/json, application/yaml or application/vnd.kubernetes.protobuf`,
      );
    return JSON.parse(text);
  } catch (e) {
    if (e instanceof StatusError) throw e;
    throw StatusError.badRequest(
      `the body of the request could not be decoded: ${(e as Error).message.split('\n')[0]}`,
    );
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, warnings: string[] = []): void {
  const text = JSON.stringify(body);
  const headers: Record<string, string | string[]> = {
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(text)),
    'Cache-Control': 'no-cache, private',
  };
  if (warnings.length) headers.Warning = warnings.map((w) => `299 - ${JSON.stringify(w)}`);
  res.writeHead(status, headers);
  res.end(text);
}

function sendStatus(res: ServerResponse, err: StatusError, extraHeaders: Record<string, string> = {}): void {
  const text = JSON.stringify(err.toStatus());
  res.writeHead(err.code, {
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(text)),
    ...extraHeaders,
  });
  res.end(text);
}

export class ApiServer {
  readonly faults: FaultInjector;
  readonly requestCounts: RequestCounts = {};
  readonly requestLog: RequestRecord[] = [];
  private readonly server: Server;
  private stateValue: ApiServerState = 'idle';
  private closing?: Promise<void>;
  private readonly watchEnders = new Set<() => void>();

  constructor(private readonly opts: ApiServerOptions) {
    this.faults = opts.faults ?? new FaultInjector();
    this.server = createServer({ cert: opts.tls.cert, key: opts.tls.key }, (req, res) => {
      res.once('finish', () => this.logRequest(req, res.statusCode));
      this.handle(req, res).catch((err) => this.internalError(res, err, req));
    });
    this.server.keepAliveTimeout = 65_000;
  }

  get state(): ApiServerState {
    return this.stateValue;
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port ?? 0, this.opts.host ?? '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.stateValue = 'listening';
    return this.url;
  }

  get url(): string {
    const a = this.server.address() as AddressInfo | null;
    if (!a) throw new Error('the API server is not listening');
    return `https://${a.address}:${a.port}`;
  }

  /** Stops listening and ends every open watch. Safe to call twice. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.stateValue = 'closing';
    this.closing = new Promise<void>((resolve) => {
      for (const end of [...this.watchEnders]) end();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    }).then(() => {
      this.stateValue = 'closed';
    });
    return this.closing;
  }

  private logRequest(req: IncomingMessage, status: number): void {
    this.requestLog.push({
      method: req.method ?? '',
      url: req.url ?? '',
      status,
      userAgent: String(req.headers['user-agent'] ?? ''),
    });
    if (this.requestLog.length > REQUEST_LOG_LIMIT)
      this.requestLog.splice(0, this.requestLog.length - REQUEST_LOG_LIMIT);
  }

  private internalError(res: ServerResponse, err: unknown, req: IncomingMessage): void {
    this.opts.onInternalError?.(err, req.method ?? '', req.url ?? '');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendStatus(res, new StatusError('InternalError', 'an error on the server prevented the request from succeeding'));
  }

  private authenticate(req: IncomingMessage): UserInfo {
    const h = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
    const user = m ? this.opts.auth.authenticate(m[1]) : undefined;
    if (!user) throw new StatusError('Unauthorized', 'Unauthorized');
    return user;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    try {
      if (OPEN_PATHS.has(path)) {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('ok');
        return;
      }
      const user = this.authenticate(req);
      if (this.serveNonResource(path, req, res)) return;
      const info = parsePath(req.method ?? 'GET', path, url.searchParams);
      if (!info) throw new StatusError('NotFound', 'the server could not find the requested resource');
      if (info.kind === 'group') {
        if (!groupVersions().some((g) => g.group === info.group))
          throw new StatusError('NotFound', 'the server could not find the requested resource');
        sendJson(res, 200, apiGroup(info.group));
        return;
      }
      if (info.kind === 'groupVersion') {
        const list = apiResourceList(info.group, info.version);
        if (!list) throw new StatusError('NotFound', 'the server could not find the requested resource');
        sendJson(res, 200, list);
        return;
      }
      if (!isAdmin(user))
        throw new StatusError(
          'Forbidden',
          `User "${user.username}" cannot ${info.req.verb} resource "${info.req.type.resource}" in the sandbox`,
        );
      await this.serveResource(info.req, url.searchParams, req, res, user);
    } catch (e) {
      if (e instanceof StatusError) {
        if (!res.headersSent) sendStatus(res, e);
        else res.end();
        return;
      }
      if (e instanceof BodyTooLarge) {
        sendStatus(res, new StatusError('RequestEntityTooLarge', 'the request body is too large'));
        return;
      }
      throw e;
    }
  }

  /** /version, /api, /apis and /openapi: true when answered. */
  private serveNonResource(path: string, req: IncomingMessage, res: ServerResponse): boolean {
    const accept = req.headers.accept;
    if (path === '/version') {
      sendJson(res, 200, SERVER_VERSION);
      return true;
    }
    if (path === '/api' || path === '/apis') {
      const agg = wantsAggregated(accept);
      if (agg) {
        const doc = aggregatedDiscovery(path === '/api') as { apiVersion: string };
        doc.apiVersion = `apidiscovery.k8s.io/${agg}`;
        const text = JSON.stringify(doc);
        res.writeHead(200, {
          'Content-Type': `application/json;g=apidiscovery.k8s.io;v=${agg};as=APIGroupDiscoveryList`,
          'Content-Length': String(Buffer.byteLength(text)),
        });
        res.end(text);
        return true;
      }
      sendJson(res, 200, path === '/api' ? apiVersions(req.headers.host ?? '127.0.0.1') : apiGroupList());
      return true;
    }
    if (path === '/openapi/v3') {
      const paths: Record<string, { serverRelativeURL: string }> = {};
      for (const [p, d] of openApiDocuments()) paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${d.hash}` };
      sendJson(res, 200, { paths });
      return true;
    }
    if (path.startsWith('/openapi/v3/')) {
      const doc = openApiDocuments().get(path.slice('/openapi/v3/'.length));
      if (!doc) throw new StatusError('NotFound', 'the server could not find the requested resource');
      res.writeHead(200, {
        'Content-Type': 'application/json',
        'Content-Length': String(Buffer.byteLength(doc.text)),
        Etag: `"${doc.hash}"`,
        'Cache-Control': 'public, immutable',
      });
      res.end(doc.text);
      return true;
    }
    if (path === '/openapi/v2' || path === '/swagger-2.0.0.pb-v1') {
      // kubectl 1.27/1.28 read v2 (protobuf only) to learn that fieldValidation is supported.
      const doc = openApiV2Document();
      if (!doc) throw new StatusError('NotFound', 'the sandbox serves OpenAPI v3 only (/openapi/v3)');
      if (!wantsOpenApiV2Protobuf(accept))
        throw new StatusError(
          'NotAcceptable',
          `the sandbox serves OpenAPI v2 as ${OPENAPI_V2_PROTOBUF} only; use /openapi/v3 for JSON`,
        );
      res.writeHead(200, {
        'Content-Type': OPENAPI_V2_PROTOBUF,
        'Content-Length': String(doc.length),
        'Cache-Control': 'no-cache, private',
      });
      res.end(doc);
      return true;
    }
    if (path.startsWith('/swagger'))
      throw new StatusError('NotFound', 'the server could not find the requested resource');
    return false;
  }

  private async applyFaults(info: RequestInfo): Promise<FaultAction[]> {
    const actions = this.faults.actionsFor(info);
    for (const a of actions) {
      // unref: a pending injected delay must not keep a closing process alive.
      if (a.type === 'delay') await new Promise((r) => setTimeout(r, a.ms).unref());
      if (a.type === 'status') {
        const reason =
          a.code === 409
            ? 'Conflict'
            : a.code === 429
              ? 'TooManyRequests'
              : a.code === 503
                ? 'ServiceUnavailable'
                : a.code === 504
                  ? 'Timeout'
                  : 'InternalError';
        const err = new StatusError(
          reason,
          `injected fault: ${a.code}`,
          a.retryAfterSeconds !== undefined ? { retryAfterSeconds: a.retryAfterSeconds } : {},
        );
        throw err;
      }
    }
    return actions;
  }

  private async serveResource(
    r: ResourceRequest,
    query: URLSearchParams,
    req: IncomingMessage,
    res: ServerResponse,
    user: UserInfo,
  ): Promise<void> {
    const counterKey = `${r.verb} ${r.type.resource}${r.subresource ? '/' + r.subresource : ''}`;
    this.requestCounts[counterKey] = (this.requestCounts[counterKey] ?? 0) + 1;
    const info: RequestInfo = {
      verb: r.verb,
      resource: r.type.resource,
      namespace: r.namespace,
      name: r.name,
      subresource: r.subresource,
    };
    let actions: FaultAction[];
    try {
      actions = await this.applyFaults(info);
    } catch (e) {
      if (e instanceof StatusError && e.details.retryAfterSeconds !== undefined) {
        sendStatus(res, e, { 'Retry-After': String(e.details.retryAfterSeconds) });
        return;
      }
      throw e;
    }
    if (r.verb === 'watch') {
      const end = streamWatch(this.opts.registry, r, query, req.headers.accept, res, {
        bookmarkIntervalMs: this.opts.bookmarkIntervalMs ?? 5000,
        defaultTimeoutMs: this.opts.watchTimeoutMs ?? 30 * 60_000,
      });
      this.watchEnders.add(end);
      const untrack = this.faults.trackWatch(info, end);
      res.on('close', () => {
        this.watchEnders.delete(end);
        untrack();
      });
      const drop = actions.find((a) => a.type === 'dropWatch');
      if (drop && drop.type === 'dropWatch') setTimeout(end, drop.afterMs);
      return;
    }
    if (r.subresource === 'log') {
      this.serveLog(r, query, res);
      return;
    }
    const hasBody =
      r.verb === 'create' ||
      r.verb === 'update' ||
      r.verb === 'patch' ||
      r.verb === 'delete' ||
      r.verb === 'deletecollection';
    const patchType = r.verb === 'patch' ? patchTypeOf(req.headers['content-type']) : undefined;
    const raw = hasBody ? await readBody(req, this.opts.maxBodyBytes ?? 3 * 1024 * 1024) : Buffer.alloc(0);
    const body = parseBody(raw, req.headers['content-type'], patchType);
    if ((r.verb === 'create' || r.verb === 'update' || r.verb === 'patch') && body === undefined) {
      throw StatusError.badRequest('the request body is empty; an object is required');
    }
    const out = handleResource(this.opts.registry, this.opts.auth, {
      req: r,
      query,
      accept: req.headers.accept,
      body,
      patchType,
      user,
    });
    sendJson(res, out.status, out.body, out.warnings);
  }

  private serveLog(r: ResourceRequest, query: URLSearchParams, res: ServerResponse): void {
    if (!this.opts.logs) throw StatusError.badRequest('no kubelet is attached to serve logs');
    const pod = this.opts.registry.get(r.type, r.namespace, r.name ?? '');
    const num = (k: string): number | undefined => (query.get(k) !== null ? Number(query.get(k)) : undefined);
    const stream = this.opts.logs.open(pod, {
      container: query.get('container') ?? undefined,
      follow: query.get('follow') === 'true',
      previous: query.get('previous') === 'true',
      timestamps: query.get('timestamps') === 'true',
      tailLines: num('tailLines'),
      limitBytes: num('limitBytes'),
    });
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
    stream.pipe(res);
    res.on('close', () => stream.destroy());
  }
}
