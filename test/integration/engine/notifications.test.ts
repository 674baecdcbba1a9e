/**
 * The operator's notifiers hear of rollouts through the queue: a webhook receiver gets signed JSON for
 * the events it selected (checked with the secret), a Slack receiver gets incoming-webhook messages, and
 * a receiver that is slow and fails at first gets every event in the end, retried, while the rollout
 * goes on at its own pace.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@ramp/sandbox';
import { createRollout } from '../../../src/engine/rollouts';
import type { NotificationBody } from '../../../src/notifications/payload';
import { signature } from '../../../src/notifications/payload';
import {
  demoPlan,
  prepareNamespace,
  startEngineHarness,
  waitForPhase,
  type EngineHarness,
} from '../../helpers/engineHarness';

interface Received {
  headers: IncomingHttpHeaders;
  raw: string;
  at: number;
}

/** A local HTTP receiver; `answer` decides each request's status and how long it takes. */
async function receiver(answer: (n: number) => { status: number; delayMs: number }) {
  const got: Received[] = [];
  let n = 0;
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const { status, delayMs } = answer(n++);
      setTimeout(() => {
        if (status < 300) got.push({ headers: req.headers, raw, at: Date.now() });
        res.writeHead(status).end();
      }, delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    got,
    attempts: () => n,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('notifications', () => {
  const secret = 'test-secret-1f3a';
  let h: EngineHarness;
  let hook: Awaited<ReturnType<typeof receiver>>;
  let slack: Awaited<ReturnType<typeof receiver>>;
  let flaky: Awaited<ReturnType<typeof receiver>>;

  beforeAll(async () => {
    hook = await receiver(() => ({ status: 200, delayMs: 0 }));
    slack = await receiver(() => ({ status: 200, delayMs: 0 }));
    // Each of its first 3 answers takes 3 s and is a 500; then it answers at once.
    flaky = await receiver((n) => (n < 3 ? { status: 500, delayMs: 3000 } : { status: 204, delayMs: 0 }));
    const dir = mkdtempSync(join(tmpdir(), 'ramp-notify-'));
    writeFileSync(join(dir, 'secret'), `${secret}\n`);
    writeFileSync(join(dir, 'slack-url'), slack.url);
    h = await startEngineHarness('notify', {
      notifications: {
        notifiers: [
          {
            name: 'deploys',
            webhook: { url: hook.url, secretFile: join(dir, 'secret') },
            events: ['Created', 'Promoted', 'RolledBack'],
          },
          { name: 'team', slack: { urlFile: join(dir, 'slack-url') }, namespaces: ['notify'], events: ['Promoted'] },
          { name: 'flaky', webhook: { url: flaky.url, timeoutSeconds: 1 }, events: ['Created', 'Promoted'] },
        ],
      },
    });
  }, 60_000);

  afterAll(async () => {
    await h?.close();
    await Promise.all([hook?.close(), slack?.close(), flaky?.close()]);
  });

  it('delivers signed webhooks and Slack messages for the selected events, and retries a failing receiver without slowing the rollout', async () => {
    const ns = 'notify';
    await prepareNamespace(h.sb, ns);
    const plan = (version: string) =>
      demoPlan({ namespace: ns, version, metrics: [], steps: [{ setWeight: 50 }], progressDeadline: '10m' });
    const first = await createRollout(h.deps, plan('v1'));
    await waitForPhase(h.deps, first.id, ['Succeeded']);
    const r = await createRollout(h.deps, plan('v2'));
    const done = await waitForPhase(h.deps, r.id, ['Succeeded', 'RolledBack']);
    expect(done.phase).toBe('Succeeded');
    const finishedAt = Date.now();

    await waitFor(() => hook.got.length >= 4, 'the webhook to get Created and Promoted of both rollouts');
    const bodies = hook.got.map((g) => JSON.parse(g.raw) as NotificationBody);
    expect(bodies.map((b) => `${b.rollout.id} ${b.event.type}`).sort()).toEqual(
      [`${first.id} Created`, `${first.id} Promoted`, `${r.id} Created`, `${r.id} Promoted`].sort(),
    );
    for (const g of hook.got) {
      const ts = String(g.headers['x-ramp-timestamp']);
      expect(g.headers['x-ramp-signature']).toBe(signature(secret, ts, g.raw));
      // Not signed with another key: the check can fail.
      expect(g.headers['x-ramp-signature']).not.toBe(signature('other', ts, g.raw));
    }
    const promoted = bodies.find((b) => b.rollout.id === r.id && b.event.type === 'Promoted');
    expect(promoted?.rollout).toMatchObject({
      namespace: ns,
      app: 'checkout',
      phase: 'Succeeded',
      outcome: 'promoted',
    });
    expect(promoted?.commands.status).toBe(`ramp status checkout -n ${ns}`);

    await waitFor(() => slack.got.length >= 2, 'Slack to hear of both promotions');
    const message = JSON.parse(slack.got[1].raw) as { text: string; blocks: unknown[] };
    expect(message.text).toMatch(/\*checkout\* in `notify` — Promoted: /);
    expect(message.blocks.length).toBeGreaterThanOrEqual(2);

    // The flaky receiver held each of its first answers for 3 s (past the 1 s timeout) and failed them;
    // retried with back-off, it got all four events in the end.
    await waitFor(() => flaky.got.length >= 4, 'the flaky receiver to get every event', 60_000);
    expect(flaky.attempts()).toBeGreaterThanOrEqual(7);
    // The rollout did not wait for it: the second promotion finished before the last delivery.
    expect(Math.max(...flaky.got.map((g) => g.at))).toBeGreaterThan(Math.min(finishedAt, done.updatedAt));
  }, 180_000);
});
