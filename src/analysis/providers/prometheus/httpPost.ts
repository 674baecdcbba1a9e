/**
 * One form-encoded HTTP(S) POST with a deadline, for the metric providers. Built on node:http(s)
 * rather than fetch because fetch cannot skip TLS verification per request (insecureSkipVerify).
 */
import http from 'node:http';
import https from 'node:https';

/**
 * What came back: a status and a body, or why nothing (complete) came back — `reason` in fixed words
 * (a tenant may read it), `detail` with the address and the system's message (for the server log).
 */
export type PostResult =
  | { kind: 'answer'; status: number; contentType: string; body: string }
  | { kind: 'noAnswer'; reason: string; detail: string };

export interface PostOptions {
  headers: Record<string, string>;
  timeoutMs: number;
  insecureSkipVerify: boolean;
  /** The caller's cancellation, on top of the timeout. */
  signal?: AbortSignal;
  /** Bodies beyond this are refused (a runaway query must not exhaust the worker's memory). */
  maxBodyBytes: number;
}

/**
 * Node's and OpenSSL's error codes (ECONNREFUSED, CERT_HAS_EXPIRED) are constants: repeating one says
 * what kind of failure it was. Their messages are not (a certificate's names, the address).
 */
const ERROR_CODE = /^[A-Z][A-Z0-9_]{1,40}$/;

function describe(e: unknown, timedOut: boolean, timeoutMs: number, url: URL): { reason: string; detail: string } {
  const err = e as NodeJS.ErrnoException;
  const detail = `${url.origin}: ${err?.code ? `${err.code} ` : ''}${err?.message ?? String(e)}`.trim();
  if (timedOut) return { reason: `the metric provider did not answer within ${timeoutMs} ms`, detail };
  if (err?.name === 'AbortError') return { reason: 'the query was cancelled', detail };
  const code = err?.code && ERROR_CODE.test(err.code) ? ` (${err.code})` : '';
  return { reason: `the metric provider did not answer${code}`, detail };
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
      finish({ kind: 'noAnswer', ...describe(e, timeout.aborted, opts.timeoutMs, url) });
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
            finish({
              kind: 'noAnswer',
              reason: `the metric provider answered with more than ${opts.maxBodyBytes} bytes`,
              detail: url.origin,
            });
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
