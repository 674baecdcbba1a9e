/**
 * `ramp worker` as a process: it serves /healthz and /metrics, refuses bad flags with exit 2, and on
 * SIGTERM finishes the job in flight and exits 0.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { waitFor } from '@ramp/sandbox/util/ports';
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
    // Port 0 and the address from the log: a port picked beforehand could be taken by a parallel test.
    const tag = randomBytes(4).toString('hex');
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
        `test-worker-${tag}`,
        '--queue',
        `q${tag}`,
        '--metrics-port',
        '0',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let logs = '';
    child.stdout.on('data', (d: Buffer) => (logs += d.toString()));
    child.stderr.on('data', (d: Buffer) => (logs += d.toString()));
    let port = '';
    await waitFor(
      () => !!(port = /"metrics":"http:\/\/0\.0\.0\.0:(\d+)"/.exec(logs)?.[1] ?? ''),
      'the worker to say where it serves /metrics',
      20_000,
      50,
    );
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
    expect({ code: await exited, logs }).toEqual({ code: 0, logs: expect.any(String) });
    const lines = logs
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string; level: number });
    expect(lines.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['worker started', 'worker stopping', 'worker stopped']),
    );
  }, 60_000);

  it('refuses a taken --metrics-port with a message naming it, before taking any job', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '0.0.0.0', r));
    const port = (taken.address() as AddressInfo).port;
    try {
      const child = spawn(
        process.execPath,
        [CLI, 'worker', '--metrics-port', String(port), '--redis-url', testRedisUrl(), '--kubeconfig', kubeconfig],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
      expect({ code, out }).toEqual({
        code: 1,
        out: `ramp: ramp worker cannot listen on 0.0.0.0:${port}: the port is taken by another process; choose another with --metrics-port\n`,
      });
    } finally {
      taken.close();
    }
  });

  it.each([
    [['--concurrency', 'lots'], '--concurrency: expected a positive integer, got "lots"'],
    [['--metrics-port', '8O80'], '--metrics-port: expected a port number from 0 to 65535, got "8O80"'],
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
