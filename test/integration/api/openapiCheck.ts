/**
 * Checks answers against the served OpenAPI document: the route and status must be documented, and
 * the body must validate (ajv, JSON Schema 2020-12) against the documented schema for its content type.
 */
import Ajv2020 from 'ajv/dist/2020';
import type { ValidateFunction } from 'ajv';

interface OpenApiDoc {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>
  >;
  components: { schemas: Record<string, object> };
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  text?: string;
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export class OpenApiChecker {
  private readonly ajv: Ajv2020;
  private readonly cache = new Map<string, ValidateFunction>();
  /** Every (method path status) checked, to report coverage. */
  readonly checked = new Set<string>();

  constructor(readonly doc: OpenApiDoc) {
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    this.ajv.addFormat('date-time', DATE_TIME);
    this.ajv.addSchema({ $id: 'openapi', components: doc.components });
  }

  /** The validator of a component schema by name (e.g. the SSE frames' Event and Rollout). */
  component(name: string): ValidateFunction {
    return this.validator(`component:${name}`, { $ref: `openapi#/components/schemas/${name}` });
  }

  /** Throws unless `answer` is a documented response of `method path` whose body fits its schema. */
  check(method: string, path: string, answer: Answer): void {
    const op = this.doc.paths[path]?.[method.toLowerCase()];
    if (!op) throw new Error(`${method} ${path} is not in the document`);
    const response = op.responses[String(answer.status)];
    if (!response)
      throw new Error(
        `${method} ${path} answered ${answer.status}, which is not documented (documented: ${Object.keys(op.responses).join(', ')})`,
      );
    const type = String(answer.headers['content-type'] ?? '')
      .split(';')[0]
      .trim();
    const media = response.content?.[type];
    if (!media)
      throw new Error(
        `${method} ${path} ${answer.status} answered ${type}, documented: ${Object.keys(response.content ?? {}).join(', ')}`,
      );
    // An event stream's schema describes each event, not the text: callers check the frames one by one.
    if (type === 'text/event-stream') {
      this.checked.add(`${method.toUpperCase()} ${path} ${answer.status}`);
      return;
    }
    const validate = this.validator(`${method} ${path} ${answer.status} ${type}`, this.rebase(media.schema));
    const body = type === 'application/json' ? answer.body : (answer.text ?? answer.body);
    if (!validate(body))
      throw new Error(
        `${method} ${path} ${answer.status}: body does not fit the documented schema: ${this.ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 2000)}`,
      );
    this.checked.add(`${method.toUpperCase()} ${path} ${answer.status}`);
  }

  private validator(key: string, schema: object): ValidateFunction {
    let v = this.cache.get(key);
    if (!v) this.cache.set(key, (v = this.ajv.compile(schema)));
    return v;
  }

  /** Schemas in paths refer to `#/components/…`; point them at the registered document. */
  private rebase(schema: object): object {
    return JSON.parse(JSON.stringify(schema).replace(/"#\/components\//g, '"openapi#/components/'));
  }
}

/** Every route an express 5 app serves: `METHOD /path` in OpenAPI form. */
export function servedRoutes(app: {
  router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] };
}): string[] {
  const out: string[] = [];
  for (const layer of app.router.stack) {
    if (!layer.route) continue;
    for (const [m, on] of Object.entries(layer.route.methods))
      if (on && m !== '_all') out.push(`${m.toUpperCase()} ${layer.route.path.replace(/:([A-Za-z_]\w*)/g, '{$1}')}`);
  }
  return out;
}
