/** The SSE parser: whole messages however the bytes are split, comments ignored, multi-line data joined. */
import fc from 'fast-check';
import { SseParser, type SseMessage } from '../../../src/cli/sse';

const STREAM = [
  ': keep-alive\n\n',
  'id: 1700000000000-0\nevent: rollout\ndata: {"a":1}\n\n',
  ': keep-alive\r\n\r\n',
  'id: 1700000000001-0\r\nevent: rollout\r\ndata: {"b":\r\ndata: 2}\r\n\r\n',
  'event: end\rdata:{"done":true}\r\r',
].join('');

const EXPECTED: SseMessage[] = [
  { id: '1700000000000-0', event: 'rollout', data: '{"a":1}' },
  { id: '1700000000001-0', event: 'rollout', data: '{"b":\n2}' },
  { event: 'end', data: '{"done":true}' },
];

function parseInChunks(text: string, cuts: number[]): SseMessage[] {
  const p = new SseParser();
  const out: SseMessage[] = [];
  let from = 0;
  for (const c of [...cuts.sort((a, b) => a - b), text.length]) {
    out.push(...p.push(text.slice(from, c)));
    from = c;
  }
  return out;
}

describe('SseParser', () => {
  it('parses LF, CRLF and CR line ends, skips comments, joins data lines', () => {
    expect(parseInChunks(STREAM, [])).toEqual(EXPECTED);
  });

  it('gives the same messages however the stream is cut into chunks', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: STREAM.length }), { maxLength: 20 }), (cuts) => {
        expect(parseInChunks(STREAM, cuts)).toEqual(EXPECTED);
      }),
      { seed: 42, numRuns: 500 },
    );
  });

  it('keeps an unfinished message until its blank line arrives', () => {
    const p = new SseParser();
    expect(p.push('event: rollout\ndata: x\n')).toEqual([]);
    expect(p.push('\n')).toEqual([{ event: 'rollout', data: 'x' }]);
  });
});
