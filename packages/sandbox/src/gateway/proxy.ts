/**
 * Forwarding one request to one endpoint: bodies streamed both ways, hop-by-hop headers dropped,
 * X-Forwarded-* added, one keep-alive agent per upstream. A failed upstream is answered, never retried:
 * the users of a sandbox gateway see what users of a real one would.
 */
import http from 'node:http';
import { type Filters, modifyHeaders } from './filters';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Headers minus the hop-by-hop ones, including those the Connection header names. */
export function endToEndHeaders(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter((s) => s !== ''),
  );
  const out: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP_BY_HOP.has(k) && !named.has(k)) out[k] = v;
  return out;
}

/** Writes a short text/plain answer (the gateway's own 404/500/502/503/504), unless one was started. */
export function sendText(
  res: http.ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = `${text}\n`;
  res.writeHead(status, {
    ...headers,
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** Keep-alive agents, one per "address:port" upstream. */
export class UpstreamAgents {
  private readonly agents = new Map<string, http.Agent>();

  get(address: string, port: number): http.Agent {
    const k = `${address}:${port}`;
    let agent = this.agents.get(k);
    if (!agent) {
      // A free socket is dropped before a typical server's 5 s keep-alive ends, so a reused socket is
      // rarely one the server is closing (which would surface as a 502 the backend did not cause).
      agent = new http.Agent({ keepAlive: true, keepAliveMsecs: 1000, maxFreeSockets: 256, timeout: 4000 });
      this.agents.set(k, agent);
    }
    return agent;
  }

  /** Drops agents of upstreams that are gone, once they carry no request. */
  retain(live: ReadonlySet<string>): void {
    for (const [k, agent] of this.agents) {
      if (live.has(k) || Object.keys(agent.sockets).length > 0) continue;
      agent.destroy();
      this.agents.delete(k);
    }
  }

  destroy(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }
}

/** One upstream exchange: where to, through which agent, and what to add to the answer. */
export interface ProxyOptions {
  address: string;
  port: number;
  agent: http.Agent;
  /** Origin-form request target: path and query. */
  path: string;
  /** No response headers within this many ms → 504. */
  timeoutMs: number;
  /** Added to the response (x-sandbox-*), also to the gateway's own error answers. */
  responseHeaders: Record<string, string>;
  /** Header modifiers of the route: on the request sent upstream, and on the upstream's answer. */
  filters?: Filters;
}

/** How an exchange ended: the status the client got (499 when it went away before an answer). */
export interface ProxyResult {
  status: number;
  outcome: 'response' | 'connectError' | 'timeout' | 'clientClosed';
  error?: Error;
}

function forwardedHeaders(req: http.IncomingMessage): http.OutgoingHttpHeaders {
  const headers = endToEndHeaders(req.headers);
  const client = req.socket.remoteAddress ?? '';
  const prior = req.headers['x-forwarded-for'];
  headers['x-forwarded-for'] = prior ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${client}` : client;
  headers['x-forwarded-host'] = req.headers.host ?? '';
  headers['x-forwarded-proto'] = 'http';
  return headers;
}

/**
 * Proxies `req` to one endpoint. Resolves as soon as the status is decided (the body may still be
 * streaming); rejects never. An upstream failing after its headers were sent cuts the client's response.
 */
export function proxyRequest(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  opts: ProxyOptions,
): Promise<ProxyResult> {
  return new Promise((resolve) => {
    let settled = false;
    let timedOut = false;
    const settle = (r: ProxyResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const upstream = http.request({
      host: opts.address,
      port: opts.port,
      method: req.method,
      path: opts.path,
      headers: modifyHeaders(forwardedHeaders(req), opts.filters?.request ?? []),
      agent: opts.agent,
    });
    const timer = setTimeout(() => {
      timedOut = true;
      upstream.destroy(new Error(`no response from ${opts.address}:${opts.port} within ${opts.timeoutMs} ms`));
    }, opts.timeoutMs);
    upstream.on('response', (up) => {
      clearTimeout(timer);
      if (res.destroyed) {
        up.destroy();
        settle({ status: 499, outcome: 'clientClosed' });
        return;
      }
      const status = up.statusCode ?? 502;
      const headers = modifyHeaders(endToEndHeaders(up.headers), opts.filters?.response ?? []);
      res.writeHead(status, up.statusMessage, { ...headers, ...opts.responseHeaders });
      up.on('error', () => res.destroy());
      up.on('aborted', () => res.destroy());
      up.pipe(res);
      settle({ status, outcome: 'response' });
    });
    upstream.on('error', (error) => {
      if (settled) {
        res.destroy();
        return;
      }
      if (res.destroyed) return settle({ status: 499, outcome: 'clientClosed', error });
      if (timedOut) {
        sendText(
          res,
          504,
          `upstream ${opts.address}:${opts.port} timed out after ${opts.timeoutMs} ms`,
          opts.responseHeaders,
        );
        return settle({ status: 504, outcome: 'timeout', error });
      }
      sendText(res, 502, `upstream ${opts.address}:${opts.port} failed: ${error.message}`, opts.responseHeaders);
      settle({ status: 502, outcome: 'connectError', error });
    });
    // The client going away before the exchange finished: stop talking to the upstream too.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
      if (!settled) settle({ status: 499, outcome: 'clientClosed' });
    });
    req.pipe(upstream);
  });
}
