/**
 * Request bodies: read raw up to the size limit, then decoded by content type (JSON, or YAML for
 * plans) into plain values within the shape limits (depth, nodes: src/plan/documentLimits.ts); YAML
 * is parsed off the event loop with a deadline (yamlParser.ts). Everything that goes wrong here is the
 * client's: 400, 413, 415 or 429 — validation against a schema comes after, in the route.
 */
import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../errors';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { checkValueShape, scanYamlText } from '../plan/documentLimits';
import type { YamlParser } from './yamlParser';

/** Default body limit: 1 MiB. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

export const JSON_TYPES = ['application/json'] as const;
export const PLAN_TYPES = ['application/json', 'application/yaml', 'text/yaml', 'application/x-yaml'] as const;

const YAML_TYPES = new Set(['application/yaml', 'text/yaml', 'application/x-yaml']);
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** What body-parser reports on its errors (http-errors). */
interface ReaderError {
  type?: string;
  status?: number;
}

/** Reads the raw body (any content type) into `req.body` as a Buffer, refusing more than `limit` bytes with 413. */
export function readRawBody(limit: number): RequestHandler {
  const raw = express.raw({ type: () => true, limit });
  return (req: Request, res: Response, next: NextFunction) => {
    raw(req, res, (err?: unknown) => {
      if (!err) return next();
      const e = err as ReaderError;
      if (e.type === 'entity.too.large') return next(new PayloadTooLargeError(limit));
      if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported')
        return next(
          new UnsupportedMediaTypeError(req.get('content-encoding') ?? req.get('content-type'), [
            'identity, gzip or deflate encoding; utf-8',
          ]),
        );
      if (typeof e.status === 'number' && e.status >= 400 && e.status < 500)
        return next(
          new BadRequestError(`could not read the request body: ${(err as Error).message}`, [], { cause: err }),
        );
      next(err);
    });
  };
}

/** The body's media type and charset, lower-cased; undefined when there is no Content-Type. */
function mediaType(req: Request): { type: string; charset?: string } | undefined {
  const header = req.get('content-type');
  if (!header) return undefined;
  const [type, ...params] = header.split(';').map((s) => s.trim().toLowerCase());
  const charset = params
    .find((p) => p.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/"/g, '');
  return { type, charset };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BadRequestError(
      `the body is not valid JSON: ${(err as Error).message}`,
      [{ path: 'body', message: 'not valid JSON' }],
      { cause: err },
    );
  }
}

/** `value`, or BadRequestError when it is nested too deep or has too many nodes. */
function withinShape(value: unknown): unknown {
  const problem = checkValueShape(value, 'body');
  if (problem) throw new BadRequestError(`the body is too large a document: ${problem.message}`, [problem]);
  return value;
}

async function parseYaml(text: string, yaml: YamlParser): Promise<unknown> {
  const problem = scanYamlText(text, 'body');
  if (problem) throw new BadRequestError(`the body is too large a document: ${problem.message}`, [problem]);
  const doc = await yaml.parse(text, 'body');
  if (!doc.ok) throw new BadRequestError(doc.problems[0].message, doc.problems);
  return doc.value;
}

/** The body as UTF-8 text and its media type; undefined when there is none. 415 and 400 as decodeBody says. */
function bodyText(req: Request, accepted: readonly string[]): { text: string; type: string } | undefined {
  const raw: unknown = req.body;
  if (!Buffer.isBuffer(raw) || raw.length === 0) return undefined;
  const media = mediaType(req);
  if (!media || !accepted.includes(media.type)) throw new UnsupportedMediaTypeError(media?.type, accepted);
  if (media.charset && media.charset !== 'utf-8' && media.charset !== 'utf8')
    throw new UnsupportedMediaTypeError(`${media.type}; charset=${media.charset}`, ['charset utf-8']);
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch (err) {
    throw new BadRequestError('the body is not valid UTF-8', [{ path: 'body', message: 'not valid UTF-8' }], {
      cause: err,
    });
  }
  return text.trim() === '' ? undefined : { text, type: media.type };
}

/**
 * The decoded JSON body, or undefined when there is none. 415 for a content type outside `accepted`
 * (or a charset other than UTF-8), 400 for text that does not parse or a document beyond the limits.
 */
export function decodeBody(req: Request, accepted: readonly string[]): unknown {
  const body = bodyText(req, accepted);
  if (!body) return undefined;
  if (YAML_TYPES.has(body.type)) throw new UnsupportedMediaTypeError(body.type, JSON_TYPES);
  return withinShape(parseJson(body.text));
}

/** A plan body (JSON or YAML), decoded as decodeBody does; YAML through `yaml`, off the event loop. */
export async function decodePlanBody(req: Request, yaml: YamlParser): Promise<unknown> {
  const body = bodyText(req, PLAN_TYPES);
  if (!body) return undefined;
  return withinShape(YAML_TYPES.has(body.type) ? await parseYaml(body.text, yaml) : parseJson(body.text));
}
