/**
 * One form-encoded HTTP(S) POST with a deadline, for the metric providers. Built on node:http(s)
 * rather than fetch because fetch cannot skip TLS verification per request (insecureSkipVerify).
 */
import http from 'node:http';
import https from 'node:https';

/** What came back: a status and a body, or why nothing (complete) came back. */
export type PostResult =
  { kind: 'answer'; status: number; contentType: string; body: string } | { kind: 'noAnswer'; reason: string };

export interface PostOptions {
  headers: Record<string, string>;
  timeoutMs: number;
  insecureSkipVerify: boolean;
  /** The caller's cancellation, on top of the timeout. */
  signal?: AbortSignal;
  /** Bodies beyond this are refused (a runaway query must not exhaust the worker's memory). */
  maxBodyBytes: number;
}

function describe(e: unknown, timedOut: boolean, timeoutMs: number, url: URL): string {
  if (timedOut) return `no answer from ${url.origin} within ${timeoutMs} ms (timed out)`;
  const err = e as NodeJS.ErrnoException;
  if (err?.name === 'AbortError') return `the query to ${url.origin} was cancelled`;
  return `${url.origin} did not answer: ${err?.code ? `${err.code} ` : ''}${err?.message ?? String(e)}`.trim();
}

/** POSTs `form` to `url`; never throws: failures to get a complete answer come back as `noAnswer`. */
export function postForm(url: URL, form: URLSearchParams, opts: PostOptions): Promise<PostResult> {
  const body = form.toString();
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: PostResult): void => {
      if (!settled) resolve(r);
      settled = true;
    };
    const fail = (e: unknown): void =>
      finish({ kind: 'noAnswer', reason: describe(e, timeout.aborted, opts.timeoutMs, url) });
    const req = lib.request(
      url,
      {
        method: 'POST',
        agent: false,
        signal,
        rejectUnauthorized: !opts.insecureSkipVerify,
        headers: {
          ...opts.headers,
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
          accept: 'application/json',
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > opts.maxBodyBytes) {
            finish({ kind: 'noAnswer', reason: `${url.origin} answered with more than ${opts.maxBodyBytes} bytes` });
            req.destroy();
          } else chunks.push(c);
        });
        res.on('end', () =>
          finish({
            kind: 'answer',
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', fail);
        res.on('close', () => res.complete || fail(new Error('the answer was cut off')));
      },
    );
    req.on('error', fail);
    req.end(body);
  });
}
