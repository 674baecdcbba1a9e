/**
 * /openapi.json against the app that serves it: every route the app serves is documented with its
 * method (and nothing documented is missing), every schema compiles, every $ref resolves, the
 * documented plan body agrees with the plan schema on examples, and the error statuses are listed.
 */
import request from 'supertest';
import Ajv2020 from 'ajv/dist/2020';
import { bearer, startApi, TOKENS, type ApiHarness } from './apiHarness';
import { OpenApiChecker, servedRoutes } from './openapiCheck';
import { smallPlanInput } from './records';
import { demoPlan } from '../../helpers/engineHarness';

interface Doc {
  openapi: string;
  paths: Record<
    string,
    Record<
      string,
      { responses: Record<string, unknown>; security?: unknown[]; requestBody?: { content: Record<string, unknown> } }
    >
  >;
  components: { schemas: Record<string, object> };
}

let h: ApiHarness;
let doc: Doc;

beforeAll(async () => {
  h = await startApi('openapi');
  doc = (await request(h.app).get('/openapi.json').expect(200)).body;
});
afterAll(async () => {
  await h?.close();
});

describe('/openapi.json', () => {
  it('documents exactly the routes the app serves, with their methods', () => {
    const served = servedRoutes(h.app as never).sort();
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    expect(served).toEqual(documented);
    expect(served).toEqual(
      expect.arrayContaining([
        'POST /api/v1/namespaces/{ns}/rollouts',
        'GET /api/v1/namespaces/{ns}/rollouts',
        'GET /api/v1/namespaces/{ns}/rollouts/{name}',
        'GET /api/v1/namespaces/{ns}/rollouts/{name}/events',
        ...['promote', 'abort', 'retry', 'pause', 'resume', 'undo', 'release'].map(
          (op) => `POST /api/v1/namespaces/{ns}/rollouts/{name}/${op}`,
        ),
        'GET /healthz',
        'GET /readyz',
        'GET /metrics',
        'GET /openapi.json',
      ]),
    );
    expect(served).toHaveLength(15);
  });

  it('is OpenAPI 3.1 whose schemas all compile and whose $refs all resolve', () => {
    expect(doc.openapi).toBe('3.1.0');
    const ajv = new Ajv2020({ strict: false });
    ajv.addFormat('date-time', true);
    ajv.addSchema({ $id: 'openapi', components: doc.components });
    for (const name of Object.keys(doc.components.schemas))
      expect(() => ajv.compile({ $ref: `openapi#/components/schemas/${name}` })).not.toThrow();
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]);
    for (const r of new Set(refs)) expect(doc.components.schemas[r]).toBeDefined();
  });

  it('describes the plan body so that valid plans pass and out-of-shape ones do not', () => {
    const checker = new OpenApiChecker(doc as never);
    const plan = checker.component('RolloutPlan');
    for (const good of [
      smallPlanInput('a', 'web'),
      smallPlanInput(undefined, 'web'),
      JSON.parse(JSON.stringify(demoPlan({ namespace: 'a', version: 'v2' }))),
    ]) {
      expect(plan(good) ? 'valid' : JSON.stringify(plan.errors)).toBe('valid');
    }
    const bad = [
      { ...smallPlanInput('a', 'web', [{ setWeight: 150 }]) },
      { ...smallPlanInput('a', 'web', [{ setWeight: 10, pause: {} }]) },
      { ...smallPlanInput('a', 'web'), extra: true },
      { ...smallPlanInput('a', 'web'), kind: 'Deployment' },
    ];
    for (const b of bad) expect(plan(b)).toBe(false);
    for (const type of ['application/json', 'application/yaml', 'text/yaml'])
      expect(doc.paths['/api/v1/namespaces/{ns}/rollouts'].post.requestBody?.content[type]).toBeDefined();
  });

  it("documents a duration's pattern, so `5 minutes` is no valid plan in the document either", () => {
    // schemathesis sent plans the document called valid and the server refused for such durations (422).
    const plan = new OpenApiChecker(doc as never).component('RolloutPlan');
    const withDeadline = (progressDeadline: string) => {
      const p = smallPlanInput('a', 'web') as { spec: Record<string, unknown> };
      p.spec.progressDeadline = progressDeadline;
      return p;
    };
    expect(['10m', '1h30m', '500ms'].map((d) => plan(withDeadline(d)))).toEqual([true, true, true]);
    expect(['5 minutes', '10', 'm'].map((d) => plan(withDeadline(d)))).toEqual([false, false, false]);
  });

  it('lists the error statuses each route can answer, 401 on every route that needs a token', () => {
    const statuses = (path: string, method: string) => Object.keys(doc.paths[path][method].responses);
    expect(statuses('/api/v1/namespaces/{ns}/rollouts', 'post')).toEqual(
      expect.arrayContaining(['200', '201', '400', '401', '403', '409', '413', '415', '422', '500']),
    );
    expect(statuses('/api/v1/namespaces/{ns}/rollouts/{name}/retry', 'post')).toEqual(
      expect.arrayContaining(['201', '404', '409']),
    );
    expect(statuses('/api/v1/namespaces/{ns}/rollouts/{name}/events', 'get')).toEqual(
      expect.arrayContaining(['200', '400', '401', '403', '404']),
    );
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (path.startsWith('/api/'))
          expect([`${method} ${path}`, op.responses['401']]).toEqual([`${method} ${path}`, expect.anything()]);
        else expect([`${method} ${path}`, op.security]).toEqual([`${method} ${path}`, []]);
      }
    }
  });

  it('is served the same to a client with a token', async () => {
    const again = (await request(h.app).get('/openapi.json').set(bearer(TOKENS.reader)).expect(200)).body;
    expect(again).toEqual(doc);
  });
});
