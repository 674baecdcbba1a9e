/**
 * YAML bodies parsed in a worker thread: the same result as parsing in place, the event loop free
 * meanwhile, a body past the deadline refused and its worker replaced, a full queue refused with 429.
 */
import { BadRequestError, TooManyRequestsError } from '../../../src/errors';
import { YamlParser } from '../../../src/api/yamlParser';
import { readOneDocument } from '../../../src/plan/document';

/** A flat sequence of `n` numbers: takes the parser a while (the scan would refuse it; the parser alone does not). */
const slow = (n: number) => `[${'1,'.repeat(n)}1]`;

describe('YamlParser', () => {
  const parsers: YamlParser[] = [];
  const make = (opts = {}) => {
    const p = new YamlParser(opts);
    parsers.push(p);
    return p;
  };
  afterAll(async () => {
    for (const p of parsers) await p.close();
  });

  it('answers what readOneDocument answers, problems and all', async () => {
    const p = make();
    for (const text of [
      'a: 1\nb: [x, y]\n',
      '',
      'a: 1\n---\nb: 2\n',
      'a: [1, 2\n',
      'a: &x [1]\nb: *x\n',
      `a: &a [x]\n${Array.from({ length: 120 }, (_, i) => `b${i}: *a`).join('\n')}\n`,
    ])
      expect(await p.parse(text, 'body')).toEqual(readOneDocument(text, 'body'));
  });

  it('leaves the event loop free while it parses', async () => {
    const p = make({ deadlineMs: 60_000 });
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 1);
    const parsing = p.parse(slow(200_000));
    let settled = false;
    void parsing.then(() => (settled = true));
    // The loop turns while the worker thread is busy: timers fire before the parse is done.
    await new Promise((r) => setTimeout(r, 5));
    const ticksBefore = ticks;
    expect(settled).toBe(false);
    await parsing;
    clearInterval(ticker);
    expect(ticks).toBeGreaterThan(ticksBefore);
  });

  it('refuses a body past its deadline, replaces the worker, and reads the next one', async () => {
    // 400,000 items take seconds to read; 500 ms leaves a fresh worker's first small body room on a busy machine.
    const p = make({ deadlineMs: 500 });
    await expect(p.parse(slow(400_000))).rejects.toBeInstanceOf(BadRequestError);
    expect(p.timedOut).toBe(1);
    expect(await p.parse('a: 1')).toEqual({ ok: true, value: { a: 1 } });
  });

  it('refuses with 429 beyond its queue', async () => {
    // All three in one tick: the first two wait (the worker is still starting), the third finds the queue full.
    const p = make({ deadlineMs: 30_000, maxQueue: 2 });
    const first = p.parse(slow(100_000));
    const second = p.parse('a: 1');
    await expect(p.parse('b: 2')).rejects.toBeInstanceOf(TooManyRequestsError);
    await Promise.all([first, second]);
  });
});
