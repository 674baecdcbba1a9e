/** A tiny HTTP server on a pod IP serving prom-client metrics, standing in for a pod's process. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Registry as MetricsRegistry } from 'prom-client';

export interface MetricsTarget {
  ip: string;
  port: number;
  requests: Counter<'code' | 'method'>;
  close(): Promise<void>;
}

export async function startMetricsTarget(ip: string): Promise<MetricsTarget> {
  const metrics = new MetricsRegistry();
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'requests served',
    labelNames: ['code', 'method'] as const,
    registers: [metrics],
  });
  const server: Server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    void metrics.metrics().then((text) => res.writeHead(200, { 'Content-Type': metrics.contentType }).end(text));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, ip, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    ip,
    port,
    requests,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
