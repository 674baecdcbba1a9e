import { WorkQueue } from '../../../src/controllers/workQueue';
import { waitFor } from '../../../src/util/ports';

describe('WorkQueue', () => {
  const queues: WorkQueue[] = [];
  afterEach(() => {
    for (const q of queues.splice(0)) q.close();
  });
  function queue(handler: (key: string) => void, opts: { baseDelayMs?: number; maxDelayMs?: number } = {}): WorkQueue {
    const q = new WorkQueue({ handler, ...opts });
    queues.push(q);
    return q;
  }

  it('holds a waiting key once however often it is added', async () => {
    const seen: string[] = [];
    const q = queue((k) => seen.push(k));
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.length).toBe(2);
    await waitFor(() => seen.length === 2, 'both processed', 1000, 1);
    expect(seen).toEqual(['a', 'b']);
  });

  it('processes a key again when it was added while being processed', async () => {
    const seen: string[] = [];
    const q = queue((k) => {
      seen.push(k);
      if (seen.length === 1) q.add('a');
    });
    q.add('a');
    await waitFor(() => seen.length === 2, 'processed twice', 1000, 1);
    expect(seen).toEqual(['a', 'a']);
  });

  it('retries a failing key with growing back-off, then forgets its failures', async () => {
    const times: number[] = [];
    const q = queue(
      () => {
        times.push(Date.now());
        if (times.length < 4) throw new Error('conflict');
      },
      { baseDelayMs: 20, maxDelayMs: 1000 },
    );
    q.add('a');
    await waitFor(() => times.length === 4, 'four attempts', 3000, 1);
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    expect(gaps[0]).toBeGreaterThanOrEqual(15);
    expect(gaps[1]).toBeGreaterThanOrEqual(35);
    expect(gaps[2]).toBeGreaterThanOrEqual(75);
    expect(q.backoff(0)).toBe(20);
    expect(q.backoff(20)).toBe(1000);
  });

  it('delays a key with addAfter, the earliest request winning', async () => {
    const seen: number[] = [];
    const start = Date.now();
    const q = queue(() => seen.push(Date.now() - start));
    q.addAfter('a', 300);
    q.addAfter('a', 50);
    q.addAfter('a', 400);
    await waitFor(() => seen.length === 1, 'processed', 1000, 1);
    await new Promise((r) => setTimeout(r, 400));
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeGreaterThanOrEqual(45);
  });

  it('drops everything on close, and close is safe twice', async () => {
    const seen: string[] = [];
    const q = queue((k) => seen.push(k));
    q.add('a');
    q.addAfter('b', 10);
    q.close();
    q.close();
    q.add('c');
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual([]);
    expect(q.state).toBe('closed');
  });
});
