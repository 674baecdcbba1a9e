/**
 * `ramp worker` as a process: it serves /healthz and /metrics, refuses bad flags with exit 2, and on
 * SIGTERM finishes the job in flight and exits 0.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, waitFor } from '@ramp/sandbox/util/ports';
import { testRedisUrl } from '../helpers/redis';

const CLI = resolve(__dirname, '..', '..', 'bin', 'ramp');

describe('ramp worker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ramp-worker-'));
  // A kubeconfig that points nowhere: this test needs the worker, not a cluster.
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: u, user: {token: x}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n',
  );
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves health and metrics, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [
        CLI,
        'worker',
        '--redis-url',
        testRedisUrl(),
        '--kubeconfig',
        kubeconfig,
        '--prefix',
        `test-worker-${port}`,
        '--queue',
        `q${port}`,
        '--metrics-port',
        String(port),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let logs = '';
    child.stdout.on('data', (d: Buffer) => (logs += d.toString()));
    child.stderr.on('data', (d: Buffer) => (logs += d.toString()));
    await waitFor(
      async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok,
      'the worker to answer /healthz',
      20_000,
      100,
    );
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toContain('ramp_reconcile_duration_seconds');
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const lines = logs
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string; level: number });
    expect(lines.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['worker started', 'worker stopping', 'worker stopped']),
    );
  }, 60_000);

  it.each([
    [['--concurrency', 'lots'], '--concurrency: expected a positive integer, got "lots"'],
    [['--retention', '30d'], '--retention: expected a duration like 720h or 168h (0 keeps them forever), got "30d"'],
  ])('refuses a bad flag with exit code 2: %j', async (flag, message) => {
    const child = spawn(
      process.execPath,
      [CLI, 'worker', ...flag, '--redis-url', testRedisUrl(), '--kubeconfig', kubeconfig],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(code).toBe(2);
    expect(err).toContain(message);
  });
});
