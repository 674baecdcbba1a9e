/**
 * A Server-Sent Events parser (the WHATWG event-stream format): text chunks in, whole messages out.
 * Pure, so chunks split anywhere — mid-line, mid-CRLF — parse the same as one piece.
 */

/** One dispatched message. `id` is the message's own `id:` field, when it had one. */
export interface SseMessage {
  event: string;
  data: string;
  id?: string;
}

/** Incremental SSE parsing: feed chunks with `push`, get the messages they complete. */
export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];
  private id: string | undefined;
  private sawField = false;
  /** A chunk ended in CR: a LF starting the next chunk belongs to the same line end. */
  private pendingCr = false;

  /** Feeds a chunk; returns the messages it completed, in order. */
  push(chunk: string): SseMessage[] {
    let text = chunk;
    if (this.pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.pendingCr = text.endsWith('\r');
    this.buffer += text;
    const out: SseMessage[] = [];
    const lines = this.buffer.split(/\r\n|\r|\n/);
    this.buffer = lines.pop() ?? '';
    for (const line of lines) {
      const msg = this.line(line);
      if (msg) out.push(msg);
    }
    return out;
  }

  private line(line: string): SseMessage | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    this.sawField = true;
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    return undefined;
  }

  private dispatch(): SseMessage | undefined {
    const had = this.sawField && (this.data.length > 0 || this.event !== '');
    const msg: SseMessage = {
      event: this.event || 'message',
      data: this.data.join('\n'),
      ...(this.id !== undefined ? { id: this.id } : {}),
    };
    this.event = '';
    this.data = [];
    this.id = undefined;
    this.sawField = false;
    return had ? msg : undefined;
  }
}
