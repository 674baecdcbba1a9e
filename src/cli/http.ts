/**
 * The CLI's HTTP plumbing over fetch: every answer either parsed by its zod schema or turned into a
 * typed error — ApiRequestError (the server said no, with its code and details), ApiUnreachableError
 * (no answer at all), InvalidApiResponseError (an answer outside the contract).
 */
import { ApiRequestError, ApiUnreachableError, InvalidApiResponseError } from '../errors';
import type { z } from 'zod';
import { errorBodySchema } from '../api/schemas';

/** The fetch the client uses (injectable; the global one by default). */
export type Fetch = typeof fetch;

/** Turns a non-2xx answer into an ApiRequestError, reading the contract's error body when there is one. */
export async function errorFromResponse(res: Response, request: string): Promise<ApiRequestError> {
  const text = await res.text().catch(() => '');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const body = errorBodySchema.safeParse(json);
  if (body.success)
    return new ApiRequestError(
      res.status,
      body.data.error.code,
      body.data.error.message,
      body.data.error.details,
      request,
    );
  const snippet = text.trim().split('\n')[0]?.slice(0, 200);
  return new ApiRequestError(
    res.status,
    `HTTP_${res.status}`,
    `${request}: HTTP ${res.status}${snippet ? ` ${snippet}` : ` ${res.statusText}`}`,
    [],
    request,
  );
}

/** Parses a 2xx body with the contract's schema. */
export async function parseAnswer<S extends z.ZodType>(
  res: Response,
  schema: S,
  request: string,
): Promise<z.output<S>> {
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InvalidApiResponseError(request, [`not JSON: ${text.slice(0, 100)}`], { cause: err });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    throw new InvalidApiResponseError(
      request,
      parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
      { cause: parsed.error },
    );
  return parsed.data;
}

/**
 * What went wrong when fetch itself rejected: our own abort passes through (the caller decides what it
 * means); a timeout or a network failure becomes ApiUnreachableError.
 */
export function fetchFailure(
  err: unknown,
  server: string,
  signal: AbortSignal | undefined,
  timeoutMs: number,
): unknown {
  if (signal?.aborted) return signal.reason ?? err;
  // DOMException is not an Error in every realm (jest's vm contexts), so look at the name only.
  const name = (err as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new ApiUnreachableError(server, `no answer within ${Math.round(timeoutMs / 100) / 10}s`, { cause: err });
  }
  return new ApiUnreachableError(server, networkReason(err), { cause: err });
}

/** `fetch failed` says nothing; its cause (ECONNREFUSED 127.0.0.1:8080, ENOTFOUND …) says what happened. */
export function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } } | null)?.cause;
  if (cause?.code === 'ECONNREFUSED') return 'connection refused (is `ramp server` running there?)';
  if (cause?.code === 'ENOTFOUND') return 'unknown host';
  if (cause?.code) return `${cause.code}${cause.message ? `: ${cause.message}` : ''}`;
  if (cause?.message) return cause.message;
  return (err as { message?: string } | null)?.message ?? String(err);
}

/** A signal that aborts when `outer` does or after `timeoutMs`, whichever is first. */
export function withTimeout(outer: AbortSignal | undefined, timeoutMs: number): AbortSignal {
  const t = AbortSignal.timeout(timeoutMs);
  return outer ? AbortSignal.any([outer, t]) : t;
}
