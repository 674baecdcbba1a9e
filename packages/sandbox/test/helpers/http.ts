/** HTTP requests with a chosen Host header, for going through the sandbox gateway. */
import http from 'node:http';

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request through the gateway with a chosen Host header (fetch would not let us set it). */
export function request(
  url: string,
  opts: {
    host: string;
    path?: string;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    agent?: http.Agent;
  },
): Promise<Answer> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        hostname: u.hostname,
        port: u.port,
        path: opts.path ?? '/',
        method: opts.method ?? 'GET',
        headers: { ...opts.headers, host: opts.host },
        agent: opts.agent ?? false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}
