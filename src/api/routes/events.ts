/**
 * `GET …/rollouts/{name}/events`: the rollout's events as Server-Sent Events, resumable with
 * Last-Event-ID, ending with one `end` event carrying the finished rollout.
 */
import type { Request, Response } from 'express';
import { z } from 'zod';
import { STREAM_START } from '../../engine/events';
import { errorResponse } from '../errors';
import { feedRolloutEvents, type FeedSink } from '../eventFeed';
import { appParamsSchema, eventsHeadersSchema, eventsQuerySchema, parseRequestPart } from '../params';
import { contextOf } from '../requestContext';
import { COMMON_ERRORS, errors } from '../responses';
import { findRollout } from '../rolloutLookup';
import type { ApiContext, ApiRoute } from '../routeTable';
import { SseStream } from '../sse';
import { eventView, rolloutView } from '../views';

const STREAM_DESCRIPTION = [
  'text/event-stream. Each event: `id: <stream id>`, `event: rollout`, `data: <Event JSON>` (components.schemas.Event).',
  'When the rollout has finished and every event was sent: one `event: end` with `data: <Rollout JSON>` (components.schemas.Rollout), then the stream closes.',
  'A comment line (`: keep-alive`) every 15 s. Should the server fail mid-stream: one `event: error` with `data: <Error JSON>`, then the stream closes.',
  'Reconnect with the Last-Event-ID header (what EventSource does) to resume after the last event received: nothing is sent twice or skipped.',
].join('\n');

/**
 * One event as an SSE reader parses it — what OpenAPI 3.1 readers (schemathesis, and 3.2's `itemSchema`)
 * take a text/event-stream schema to describe: not the stream's text, each event's fields. `data` holds
 * the JSON named in the description.
 */
export const sseEventSchema = z
  .object({
    event: z.enum(['rollout', 'end', 'error']),
    data: z.string().openapi({ description: 'JSON: an Event (rollout), the Rollout (end) or an Error (error).' }),
    id: z.string().optional().openapi({ description: 'The event id, on `rollout` events: resume after it.' }),
  })
  .openapi('SseEvent');

function follow(api: ApiContext) {
  return async (req: Request, res: Response): Promise<void> => {
    const { ns, name } = parseRequestPart(appParamsSchema, req.params, 'path');
    const query = parseRequestPart(eventsQuerySchema, req.query, 'query');
    const headers = parseRequestPart(
      eventsHeadersSchema,
      { 'Last-Event-ID': req.get('last-event-id') || undefined },
      'header',
    );
    const ctx = contextOf(res);
    // Named in the error log line even when the lookup itself fails.
    ctx.rolloutId = query.rollout;
    const record = await findRollout(api.deps, ns, name, query.rollout);
    ctx.rolloutId = record.id;
    const after = headers['Last-Event-ID'] || query.after || STREAM_START;
    // Counted per token: the principal object is one per grant.
    const owner = ctx.principal ?? api.streams;
    api.streams.admit(owner);
    const stream = new SseStream(res, api.keepAliveMs);
    api.streams.track(stream, owner);
    try {
      const sink: FeedSink = {
        event: (e) => stream.send('rollout', eventView(e), e.id),
        end: (r) => stream.send('end', rolloutView(r)),
      };
      const result = await feedRolloutEvents(api.deps, record.id, after, sink, stream.signal, api.feed);
      ctx.log.debug({ rolloutId: record.id, result }, 'event stream finished');
    } catch (err) {
      const { body } = errorResponse(err, ctx.requestId);
      ctx.log.error({ err, rolloutId: record.id }, 'event stream failed');
      await stream.send('error', body);
    } finally {
      stream.close();
    }
  };
}

/** The event stream route. */
export function eventRoutes(api: ApiContext): ApiRoute[] {
  return [
    {
      method: 'get',
      path: '/api/v1/namespaces/:ns/rollouts/:name/events',
      verb: 'read',
      params: appParamsSchema,
      handler: follow(api),
      doc: {
        operationId: 'followRolloutEvents',
        summary: "Follow a rollout's events (Server-Sent Events) until it ends",
        request: { query: eventsQuerySchema, headers: eventsHeadersSchema },
        responses: {
          '200': { description: STREAM_DESCRIPTION, content: { 'text/event-stream': { schema: sseEventSchema } } },
          ...errors(...COMMON_ERRORS, 404, 429),
        },
      },
    },
  ];
}
