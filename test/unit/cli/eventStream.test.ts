/**
 * Following events over real HTTP (a small SSE server on a free port): reconnects with Last-Event-ID
 * after drops and restarts, never yields an event twice, gives up on 4xx at once and on a long outage.
 */
import { ApiRequestError, ApiUnreachableError } from '../../../src/errors';
import { exitCodeFor } from '../../../src/cli/exitCodes';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { followEvents, type FollowItem, type StreamTarget } from '../../../src/cli/eventStream';
import { waitFor } from '@ramp/sandbox/util/ports';
import { finalGood, goodStory } from './fixtures';

type Handler = (req: IncomingMessage, res: ServerResponse, connection: number) => void;

class SseTestServer {
  server: Server | undefined;
  port = 0;
  connections = 0;
  readonly lastEventIds: (string | undefined)[] = [];
  readonly urls: string[] = [];

  constructor(private handler: Handler) {}

  async listen(port = 0): Promise<void> {
    this.server = createServer((req, res) => {
      this.connections += 1;
      this.lastEventIds.push(req.headers['last-event-id'] as string | undefined);
      this.urls.push(req.url ?? '');
      this.handler(req, res, this.connections);
    });
    await new Promise<void>((r) => this.server?.listen(port, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  target(over: Partial<StreamTarget> = {}): StreamTarget {
    return { server: `http://127.0.0.1:${this.port}`, token: 'tok', backoff: { initialMs: 20, maxMs: 100 }, ...over };
  }
}

const EVENTS = goodStory();

function open(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(': keep-alive\n\n');
}
function send(res: ServerResponse, i: number): void {
  res.write(`id: ${EVENTS[i].id}\nevent: rollout\ndata: ${JSON.stringify(EVENTS[i])}\n\n`);
}
function end(res: ServerResponse): void {
  res.end(`event: end\ndata: ${JSON.stringify(finalGood())}\n\n`);
}
function indexAfter(lastId: string | undefined): number {
  return lastId === undefined ? 0 : EVENTS.findIndex((e) => e.id === lastId) + 1;
}

async function collect(gen: AsyncGenerator<FollowItem>): Promise<FollowItem[]> {
  const out: FollowItem[] = [];
  for await (const i of gen) out.push(i);
  return out;
}
const eventIds = (items: FollowItem[]): string[] => items.flatMap((i) => (i.type === 'event' ? [i.event.id] : []));

describe('followEvents', () => {
  let srv: SseTestServer | undefined;
  afterEach(async () => {
    await srv?.stop();
    srv = undefined;
  });

  it('resumes with Last-Event-ID after the connection drops, each event once, until end', async () => {
    srv = new SseTestServer((req, res) => {
      open(res);
      const from = indexAfter(req.headers['last-event-id'] as string | undefined);
      // Each connection delivers three events and then dies mid-stream, until the last one ends properly.
      for (let i = from; i < Math.min(from + 3, EVENTS.length); i++) send(res, i);
      if (from + 3 >= EVENTS.length) end(res);
      else res.write('', () => res.socket?.destroy());
    });
    await srv.listen();
    const items = await collect(followEvents(srv.target(), 'shop', 'checkout', { rollout: 'shop.checkout.3' }));
    expect(eventIds(items)).toEqual(EVENTS.map((e) => e.id));
    expect(items.at(-1)).toEqual({ type: 'end', rollout: finalGood() });
    expect(items.filter((i) => i.type === 'reconnecting')).toHaveLength(2);
    expect(srv.lastEventIds).toEqual([undefined, EVENTS[2].id, EVENTS[5].id]);
    expect(srv.urls[0]).toBe('/api/v1/namespaces/shop/rollouts/checkout/events?rollout=shop.checkout.3');
  });

  it('never yields an event twice, even when a server replays from the start', async () => {
    srv = new SseTestServer((_req, res, n) => {
      open(res);
      // Ignores Last-Event-ID: replays everything it has so far.
      const upTo = n === 1 ? 4 : EVENTS.length;
      for (let i = 0; i < upTo; i++) send(res, i);
      if (n === 1) res.write('', () => res.socket?.destroy());
      else end(res);
    });
    await srv.listen();
    const items = await collect(followEvents(srv.target(), 'shop', 'checkout'));
    expect(eventIds(items)).toEqual(EVENTS.map((e) => e.id));
  });

  it('waits out a server that is gone and comes back on the same port', async () => {
    const stopped = new Promise<void>((resolve) => {
      srv = new SseTestServer((_req, res) => {
        open(res);
        for (let i = 0; i < 4; i++) send(res, i);
        res.write('', () => resolve());
        // stays open until the server is stopped below
      });
    });
    await srv?.listen();
    const first = srv as SseTestServer;
    const seen: FollowItem[] = [];
    const following = (async () => {
      for await (const i of followEvents(first.target(), 'shop', 'checkout')) seen.push(i);
    })();
    await stopped;
    await waitFor(() => eventIds(seen).length === 4, 'the first four events');
    await first.stop();
    // Refused connections meanwhile: the follower keeps trying with back-off.
    await waitFor(() => seen.filter((i) => i.type === 'reconnecting').length >= 3, 'three reconnect attempts');
    srv = new SseTestServer((req, res) => {
      open(res);
      for (let i = indexAfter(req.headers['last-event-id'] as string | undefined); i < EVENTS.length; i++) send(res, i);
      end(res);
    });
    await srv.listen(first.port);
    await following;
    expect(eventIds(seen)).toEqual(EVENTS.map((e) => e.id));
    expect(srv.lastEventIds[0]).toBe(EVENTS[3].id);
    expect(seen.at(-1)?.type).toBe('end');
  });

  it('stops at once on a 4xx answer, with its code and details', async () => {
    srv = new SseTestServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ error: { code: 'NOT_FOUND', message: 'no rollout of app "checkout" in shop', details: [] } }),
      );
    });
    await srv.listen();
    const err = await collect(followEvents(srv.target(), 'shop', 'checkout')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiRequestError);
    expect(err).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(srv.connections).toBe(1);
  });

  it('reconnects when a connection goes silent past the idle timeout', async () => {
    srv = new SseTestServer((_req, res, n) => {
      open(res);
      if (n === 1) return; // silent: no events, no keep-alives
      for (let i = 0; i < EVENTS.length; i++) send(res, i);
      end(res);
    });
    await srv.listen();
    const items = await collect(followEvents(srv.target({ idleTimeoutMs: 200 }), 'shop', 'checkout'));
    expect(items.find((i) => i.type === 'reconnecting')).toMatchObject({
      reason: expect.stringContaining('no data on the event stream'),
    });
    expect(eventIds(items)).toHaveLength(EVENTS.length);
  });

  it('gives up with ApiUnreachableError after maxDownMs without a server', async () => {
    srv = new SseTestServer(() => undefined);
    await srv.listen();
    const target = srv.target({ maxDownMs: 300 });
    await srv.stop();
    const err = await collect(followEvents(target, 'shop', 'checkout')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiUnreachableError);
  });

  it('stops with the abort reason when the caller aborts', async () => {
    srv = new SseTestServer((_req, res) => open(res));
    await srv.listen();
    const ctrl = new AbortController();
    setTimeout(() => ctrl.abort(new Error('enough')), 100);
    await expect(collect(followEvents(srv.target(), 'shop', 'checkout', { signal: ctrl.signal }))).rejects.toThrow(
      'enough',
    );
  });
});

describe('followEvents and server-side stream errors', () => {
  let srv: SseTestServer | undefined;
  afterEach(async () => {
    await srv?.stop();
  });

  it('stops at once when the server says the rollout is gone (its record was lost), with a failing exit code', async () => {
    srv = new SseTestServer((_req, res) => {
      open(res);
      send(res, 0);
      res.end(
        `event: error\ndata: ${JSON.stringify({ error: { code: 'ROLLOUT_NOT_FOUND', message: 'rollout shop.checkout.3 not found', details: [] } })}\n\n`,
      );
    });
    await srv.listen();
    const err = await collect(followEvents(srv.target(), 'shop', 'checkout')).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 404, code: 'ROLLOUT_NOT_FOUND' });
    expect((err as Error).message).toMatch(/^the rollout is gone: /);
    expect(exitCodeFor(err)).toBe(1);
    expect(srv.connections).toBe(1);
  });

  it('treats an `error` event as a reason to reconnect, resuming after the last event', async () => {
    srv = new SseTestServer((req, res, n) => {
      open(res);
      const from = indexAfter(req.headers['last-event-id'] as string | undefined);
      if (n === 1) {
        send(res, 0);
        res.end(
          `event: error\ndata: ${JSON.stringify({ error: { code: 'INTERNAL', message: 'Redis went away', details: [] } })}\n\n`,
        );
        return;
      }
      for (let i = from; i < EVENTS.length; i++) send(res, i);
      end(res);
    });
    await srv.listen();
    const items = await collect(followEvents(srv.target(), 'shop', 'checkout'));
    expect(items.find((i) => i.type === 'reconnecting')).toMatchObject({
      reason: 'the event stream failed: Redis went away',
    });
    expect(eventIds(items)).toEqual(EVENTS.map((e) => e.id));
    expect(srv.lastEventIds).toEqual([undefined, EVENTS[0].id]);
  });
});
