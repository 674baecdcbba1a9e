/** A small Server-Sent Events client over node:http for tests: frames as they arrive, and how the stream ended. */
import http from 'node:http';

export interface SseFrame {
  id?: string;
  event: string;
  data: string;
}

export interface SseSession {
  status: number;
  headers: http.IncomingHttpHeaders;
  frames: SseFrame[];
  /** Keep-alive comments seen. */
  comments: number;
  /** Resolves when the server ends the stream (or it is cut). */
  closed: Promise<void>;
  /** Resolves once `pred` holds for the frames so far. */
  until(pred: (frames: SseFrame[]) => boolean, timeoutMs?: number): Promise<void>;
  /** Hangs up. */
  abort(): void;
}

/** Opens an event stream; resolves once the response headers arrived. */
export function openSse(url: string, headers: Record<string, string> = {}): Promise<SseSession> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { Accept: 'text/event-stream', ...headers }, agent: false }, (res) => {
      const frames: SseFrame[] = [];
      const waiters = new Set<() => void>();
      let comments = 0;
      let buffer = '';
      const session: SseSession = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        frames,
        get comments() {
          return comments;
        },
        closed: new Promise<void>((done) => {
          res.on('end', done);
          res.on('close', done);
          res.on('error', () => done());
        }),
        until(pred, timeoutMs = 30_000) {
          return new Promise<void>((ok, fail) => {
            const check = (): void => {
              if (pred(frames)) {
                waiters.delete(check);
                clearTimeout(timer);
                ok();
              }
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              fail(
                new Error(
                  `SSE condition not met in ${timeoutMs} ms; frames: ${JSON.stringify(frames.map((f) => f.event))}`,
                ),
              );
            }, timeoutMs);
            waiters.add(check);
            check();
            void session.closed.then(() => {
              if (waiters.has(check)) {
                waiters.delete(check);
                clearTimeout(timer);
                if (pred(frames)) ok();
                else
                  fail(
                    new Error(
                      `SSE stream closed before the condition held; frames: ${JSON.stringify(frames.map((f) => f.event))}`,
                    ),
                  );
              }
            });
          });
        },
        abort() {
          req.destroy();
        },
      } as SseSession;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const frame: SseFrame = { event: 'message', data: '' };
          let isComment = true;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            isComment = false;
            const [field, ...rest] = line.split(':');
            const value = rest.join(':').replace(/^ /, '');
            if (field === 'id') frame.id = value;
            else if (field === 'event') frame.event = value;
            else if (field === 'data') frame.data += (frame.data ? '\n' : '') + value;
          }
          if (isComment) comments++;
          else frames.push(frame);
        }
        for (const w of [...waiters]) w();
      });
      resolve(session);
    });
    req.on('error', reject);
  });
}
