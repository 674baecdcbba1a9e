/** The API's own request metrics, in the process's EngineMetrics registry (one /metrics for everything). */
import type { NextFunction, Request, Response } from 'express';
import { Histogram, type Registry } from 'prom-client';

const NAME = 'ramp_api_request_duration_seconds';

/** The request-duration histogram of a registry, created on first use (several apps may share a registry). */
export function requestDurationHistogram(registry: Registry): Histogram<'method' | 'route' | 'status'> {
  const existing = registry.getSingleMetric(NAME);
  if (existing) return existing as Histogram<'method' | 'route' | 'status'>;
  return new Histogram({
    name: NAME,
    help: 'API request duration, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
}

/** Times every request; labels it with its route pattern (not the raw path: namespaces and apps would explode the series). */
export function measureRequests(histogram: Histogram<'method' | 'route' | 'status'>) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const end = histogram.startTimer();
    res.once('close', () => {
      const pattern = (req.route as { path?: unknown } | undefined)?.path;
      end({
        method: req.method,
        route: typeof pattern === 'string' ? pattern : 'unmatched',
        status: String(res.statusCode),
      });
    });
    next();
  };
}
