/**
 * The demo app, in-process and as a process: answers and metrics, seeded errors and latency, run-time
 * config with validation, graceful shutdown, deliberate exits, and exiting when its parent dies.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createDemoApp, type DemoApp, type DemoAppOptions } from '../../../src/demoApp/app';
import { demoAppMainPath } from '../../../src/kubelet/imageRegistry';
import { freePort, waitFor } from '../../../src/util/ports';
import { isAlive } from '../../../src/util/processes';
import { http, requireDemoApp } from './harness';

describe('demo app (in-process)', () => {
  const apps: DemoApp[] = [];
  const start = async (opts: DemoAppOptions = {}): Promise<string> => {
    const app = createDemoApp({ podName: 'p1', ...opts });
    apps.push(app);
    const addr = await app.listen(0, '127.0.0.1');
    return `http://127.0.0.1:${addr.port}`;
  };

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
  });

  it('answers with version, pod and path, and counts app requests only', async () => {
    const base = await start({ config: { version: 'v3', latencyMs: 0 } });
    const res = await http(`${base}/some/path?q=1`);
    expect(res.status).toBe(200);
    expect(res.headers['x-app-version']).toBe('v3');
    expect(JSON.parse(res.body)).toEqual({ version: 'v3', pod: 'p1', path: '/some/path' });
    await http(`${base}/healthz`);
    await http(`${base}/readyz`);
    await http(`${base}/admin/config`);
    await http(`${base}/metrics`);
    const metrics = (await http(`${base}/metrics`)).body;
    expect(metrics).toMatch(/^http_requests_total\{code="200",method="GET"\} 1$/m);
    expect(metrics).toMatch(/^http_request_duration_seconds_count\{code="200",method="GET"\} 1$/m);
    for (const le of ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10']) {
      expect(metrics).toContain(`http_request_duration_seconds_bucket{le="${le}",code="200",method="GET"}`);
    }
  });

  it('fails at the configured rate, the same way for the same seed', async () => {
    const codes = async (base: string): Promise<number[]> => {
      const out: number[] = [];
      for (let i = 0; i < 60; i++) out.push((await http(`${base}/`)).status);
      return out;
    };
    const a = await codes(await start({ seed: 42, config: { errorRate: 0.5, latencyMs: 0 } }));
    const b = await codes(await start({ seed: 42, config: { errorRate: 0.5, latencyMs: 0 } }));
    expect(a).toEqual(b);
    const failures = a.filter((c) => c === 500).length;
    expect(failures).toBeGreaterThan(15);
    expect(failures).toBeLessThan(45);
  });

  it('waits the configured latency', async () => {
    const base = await start({ config: { latencyMs: 150, latencyJitter: 0 } });
    const began = Date.now();
    await http(`${base}/`);
    expect(Date.now() - began).toBeGreaterThanOrEqual(145);
  });

  it('changes config at run time and refuses bad input naming the field', async () => {
    const base = await start({ config: { latencyMs: 0 } });
    const post = (body: unknown): ReturnType<typeof http> => http(`${base}/admin/config`, 'POST', body);
    expect(JSON.parse((await post({ version: 'v9', ready: false })).body)).toMatchObject({
      version: 'v9',
      ready: false,
    });
    expect((await http(`${base}/readyz`)).status).toBe(503);
    expect((await http(`${base}/`)).headers['x-app-version']).toBe('v9');

    const wrongType = await post({ errorRate: 'lots' });
    expect(wrongType.status).toBe(400);
    expect(JSON.parse(wrongType.body)).toMatchObject({ field: 'errorRate' });
    const unknown = await post({ errorRat: 0.1 });
    expect(unknown.status).toBe(400);
    expect(JSON.parse(unknown.body)).toMatchObject({ field: 'errorRat' });
    const notJson = await post('{"errorRate": ');
    expect(notJson.status).toBe(400);
    expect(JSON.parse(notJson.body).error).toBe('invalid JSON body');
    expect((await http(`${base}/admin/config`, 'POST')).status).toBe(200);
    expect(JSON.parse((await http(`${base}/admin/config`)).body)).toEqual({
      version: 'v9',
      errorRate: 0,
      latencyMs: 0,
      latencyJitter: 0.1,
      ready: false,
    });
  });

  it('finishes a request in flight when closed', async () => {
    const base = await start({ config: { latencyMs: 300, latencyJitter: 0 } });
    const pending = http(`${base}/`);
    await new Promise((r) => setTimeout(r, 50));
    const closed = apps[0].close();
    expect((await pending).status).toBe(200);
    await closed;
    expect(apps[0].state).toBe('closed');
  });
});

describe('demo app (process)', () => {
  const children: ChildProcess[] = [];
  const extraPids: number[] = [];

  beforeAll(() => requireDemoApp());

  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const pid of extraPids.splice(0)) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  });

  const run = (env: Record<string, string>): ChildProcess => {
    const child = spawn(process.execPath, [demoAppMainPath()], {
      env: { PATH: process.env.PATH ?? '', POD_IP: '127.0.0.1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    return child;
  };
  const exitOf = (c: ChildProcess): Promise<number | null> =>
    new Promise((r) => (c.exitCode !== null ? r(c.exitCode) : c.once('exit', (code) => r(code))));

  it('shuts down gracefully on SIGTERM: the request in flight completes, exit code 0', async () => {
    const port = await freePort();
    const child = run({ PORT: String(port), LATENCY_MS: '400', LATENCY_JITTER: '0' });
    await waitFor(async () => (await http(`http://127.0.0.1:${port}/healthz`)).status === 200, 'demo app up', 10_000);
    const pending = http(`http://127.0.0.1:${port}/`);
    await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');
    expect((await pending).status).toBe(200);
    expect(await exitOf(child)).toBe(0);
  });

  it('exits with EXIT_CODE after EXIT_AFTER_MS', async () => {
    const port = await freePort();
    const child = run({ PORT: String(port), EXIT_AFTER_MS: '200', EXIT_CODE: '3' });
    expect(await exitOf(child)).toBe(3);
  });

  it('exits by itself when its parent dies', async () => {
    const port = await freePort();
    const parent = spawn('sh', ['-c', `"${process.execPath}" "${demoAppMainPath()}" & echo $!; wait`], {
      env: { PATH: process.env.PATH ?? '', POD_IP: '127.0.0.1', PORT: String(port) },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    children.push(parent);
    const pid = await new Promise<number>((resolve) =>
      parent.stdout?.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))),
    );
    extraPids.push(pid);
    await waitFor(async () => (await http(`http://127.0.0.1:${port}/healthz`)).status === 200, 'demo app up', 10_000);
    parent.kill('SIGKILL');
    await waitFor(() => !isAlive(pid), 'orphaned demo app gone', 5000);
  });

  it('refuses a bad environment variable with exit code 1', async () => {
    const child = run({ ERROR_RATE: 'high' });
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    expect(await exitOf(child)).toBe(1);
    expect(err).toContain('ERROR_RATE');
  });
});
