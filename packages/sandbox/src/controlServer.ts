/**
 * The sandbox's own control endpoint (not Kubernetes API): status, fault injection, history compaction
 * and request counts, for tests and benchmarks that drive a sandbox in another process. Same bearer
 * token as the API server's admin. Faults, compaction and request counts are the home-made API server's:
 * on the real control plane those routes answer 501 and say so.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import type { TokenAuthenticator } from './apiServer/auth';
import type { FaultInjector } from './apiServer/faults';
import type { RequestCounts } from './apiServer/server';
import type { ObjectStore } from './apiServer/store';

export interface ControlServerOptions {
  auth: TokenAuthenticator;
  /** The home-made API server's parts; absent on the real control plane. */
  faults?: FaultInjector;
  store?: ObjectStore;
  requestCounts?: RequestCounts;
  status: () => Promise<unknown>;
  host?: string;
  port?: number;
}

function zodDetails(err: z.ZodError): { path: string; message: string }[] {
  return err.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

export class ControlServer {
  private server?: Server;
  private closing?: Promise<void>;

  constructor(private readonly opts: ControlServerOptions) {}

  private app(): express.Express {
    const app = express();
    app.disable('x-powered-by');
    app.use(express.json({ limit: '64kb' }));
    app.use((req: Request, res: Response, next: NextFunction) => {
      const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
      if (!m || !this.opts.auth.authenticate(m[1])) {
        res.status(401).json({
          error: {
            code: 'UNAUTHORIZED',
            message: 'a bearer token from the sandbox token file is required',
            details: [],
          },
        });
        return;
      }
      next();
    });
    app.get('/status', (_req, res, next) => void this.opts.status().then((st) => res.json(st), next));
    const { faults, store, requestCounts } = this.opts;
    if (!faults || !store || !requestCounts) {
      app.use(['/faults', '/compact', '/requests'], (_req, res) => {
        res.status(501).json({
          error: {
            code: 'NOT_HOME_MADE',
            message: 'fault injection, compaction and request counts need the home-made control plane',
            details: [],
          },
        });
      });
    } else {
      this.homeMadeRoutes(app, faults, store, requestCounts);
    }
    app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
      const bad = err instanceof SyntaxError || (err as { type?: string }).type === 'entity.parse.failed';
      res.status(bad ? 400 : 500).json({
        error: {
          code: bad ? 'BAD_JSON' : 'INTERNAL',
          message: bad ? 'the body is not valid JSON' : 'internal error',
          details: [],
        },
      });
    });
    return app;
  }

  private homeMadeRoutes(
    app: express.Express,
    faults: FaultInjector,
    store: ObjectStore,
    requestCounts: RequestCounts,
  ): void {
    app.get('/faults', (_req, res) => void res.json({ faults: faults.list() }));
    app.post('/faults', (req, res) => {
      try {
        res.status(201).json({ id: faults.add(req.body) });
      } catch (e) {
        if (e instanceof z.ZodError) {
          res
            .status(400)
            .json({ error: { code: 'INVALID_FAULT', message: 'the fault rule is invalid', details: zodDetails(e) } });
          return;
        }
        throw e;
      }
    });
    app.delete('/faults', (_req, res) => {
      faults.clear();
      res.status(204).end();
    });
    app.delete('/faults/:id', (req, res) => {
      if (faults.remove(req.params.id)) res.status(204).end();
      else res.status(404).json({ error: { code: 'NOT_FOUND', message: `no fault ${req.params.id}`, details: [] } });
    });
    app.post('/compact', (_req, res) => {
      store.compact();
      res.json({ resourceVersion: store.currentResourceVersion() });
    });
    app.get('/requests', (_req, res) => void res.json(requestCounts));
    app.delete('/requests', (_req, res) => {
      for (const k of Object.keys(requestCounts)) delete requestCounts[k];
      res.status(204).end();
    });
  }

  async listen(): Promise<string> {
    const app = this.app();
    await new Promise<void>((resolve, reject) => {
      const srv = app.listen(this.opts.port ?? 0, this.opts.host ?? '127.0.0.1', () => resolve());
      srv.once('error', reject);
      this.server = srv;
    });
    return this.url;
  }

  get url(): string {
    const a = this.server?.address() as AddressInfo | null | undefined;
    if (!a) throw new Error('the control server is not listening');
    return `http://${a.address}:${a.port}`;
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closing;
  }
}
