/**
 * `ramp sandbox up|status|down` as a user runs them: a background sandbox real kubectl can use, and
 * nothing left behind after `down` — on the control plane under test (the kubernetes lane passes
 * `--control-plane kubernetes`: etcd, kube-apiserver and the controllers are among what `down` stops).
 * Needs the compiled CLI (npm test builds it first).
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isAlive } from '@ramp/sandbox';
import { kubectl } from '../../packages/sandbox/test/helpers/kubectl';
import { controlPlaneUnderTest, itHomeMade } from '../../packages/sandbox/test/helpers/controlPlane';

const PLANE = controlPlaneUnderTest();

const CLI = resolve(__dirname, '..', '..', 'bin', 'ramp');

function ramp(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 120_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...process.env, CI: 'true', ...env }, timeout: timeoutMs },
      (err, stdout, stderr) => {
        done({
          code: err ? Number((err as { code?: number }).code ?? 1) : 0,
          stdout: String(stdout),
          stderr: String(stderr),
        });
      },
    );
  });
}

function recordedPids(dir: string): number[] {
  const pidDir = join(dir, 'pids');
  if (!existsSync(pidDir)) return [];
  return readdirSync(pidDir).map((f) => Number(readFileSync(join(pidDir, f), 'utf8').split(' ')[0]));
}

describe('ramp sandbox up / status / down', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ramp-cli-'));
  afterAll(async () => {
    await ramp(['sandbox', 'down', '--dir', dir]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to stop a sandbox in a directory that does not exist (a mistyped --dir), exit 2', async () => {
    const r = await ramp(['sandbox', 'down', '--dir', join(dir, 'no-such-dir')]);
    expect({ code: r.code, stderr: r.stderr }).toEqual({
      code: 2,
      stderr: expect.stringContaining('--dir: there is no sandbox directory at') as string,
    });
  });

  it('starts in the background, serves kubectl, reports status, and stops everything', async () => {
    const up = await ramp(['sandbox', 'up', '--dir', dir, '--control-plane', PLANE]);
    expect({ code: up.code, stderr: up.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    expect(up.stdout).toContain(`export KUBECONFIG=${join(dir, 'kubeconfig')}`);
    const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { pid: number };
    expect(isAlive(state.pid)).toBe(true);
    const nodes = await kubectl(join(dir, 'kubeconfig'), ['get', 'nodes']);
    expect(nodes.stdout).toMatch(/sandbox\s+Ready/);
    const status = await ramp(['sandbox', 'status', '--dir', dir, '-o', 'json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ state: 'running', pid: state.pid, controlPlane: PLANE });
    const children = recordedPids(dir);
    // Prometheus at least; on the real control plane also etcd, kube-apiserver, the controller-manager and the scheduler.
    expect(children.length).toBeGreaterThanOrEqual(PLANE === 'kubernetes' ? 5 : 1);
    const down = await ramp(['sandbox', 'down', '--dir', dir]);
    expect(down.stdout).toContain('Sandbox stopped');
    expect(isAlive(state.pid)).toBe(false);
    expect(children.filter(isAlive)).toEqual([]);
    const after = await ramp(['sandbox', 'status', '--dir', dir]);
    expect(after.code).toBe(3);
    expect(after.stderr).toContain('no sandbox');
  });

  // The next three are about the CLI's messages, which do not depend on the control plane: home-made lane only.
  itHomeMade('says in one line what to do when a port is taken', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    const other = mkdtempSync(join(tmpdir(), 'ramp-cli-'));
    try {
      const r = await ramp([
        'sandbox',
        'up',
        '--dir',
        other,
        '--api-port',
        String(port),
        '--no-prometheus',
        '--no-redis',
        '--foreground',
      ]);
      expect(r.code).toBe(1);
      const lines = r.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('ramp:'));
      expect(lines).toEqual([
        `ramp: the sandbox API server cannot listen on 127.0.0.1:${port}: the port is taken by another process; choose another with --api-port or stop what uses it`,
      ]);
    } finally {
      blocker.close();
      rmSync(other, { recursive: true, force: true });
    }
  });

  itHomeMade('says in one line what to do when Prometheus is missing, and refuses a bad port', async () => {
    const other = mkdtempSync(join(tmpdir(), 'ramp-cli-'));
    try {
      const r = await ramp([
        'sandbox',
        'up',
        '--dir',
        other,
        '--no-redis',
        '--foreground',
        '--prometheus-binary',
        '/nonexistent/prometheus',
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /^ramp: prometheus not found at \/nonexistent\/prometheus: install it \(Debian: apt-get install prometheus\)/m,
      );
      const bad = await ramp(['sandbox', 'up', '--dir', other, '--api-port', 'eighty']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('--api-port: expected a port number 0–65535, got "eighty"');
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  itHomeMade('says in one line how to build the real control plane when it is not built', async () => {
    const other = mkdtempSync(join(tmpdir(), 'ramp-cli-'));
    try {
      const r = await ramp(
        ['sandbox', 'up', '--dir', other, '--control-plane', 'kubernetes', '--no-redis', '--foreground'],
        { RAMP_KUBE_CACHE: join(other, 'no-cache') },
      );
      expect(r.code).toBe(1);
      expect(r.stderr.split('\n').filter((l) => l.startsWith('ramp:'))).toEqual([
        expect.stringMatching(
          /^ramp: kube-apiserver not found at \S+\/no-cache\/v1\.35\.4: build etcd and the control plane with `bash scripts\/kubernetes\/build\.sh`/,
        ),
      ]);
      const bad = await ramp(['sandbox', 'up', '--dir', other, '--control-plane', 'kind']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('--control-plane: expected home-made or kubernetes, got "kind"');
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

describe('ramp demo --once', () => {
  it('promotes a healthy v2 and rolls back v3 when it turns bad, both through the CLI, and exits 0', async () => {
    const r = await ramp(['demo', '--once', '--strategy', 'canary', '--control-plane', PLANE], {}, 280_000);
    expect(r.stderr).toMatch(/\[demo\] ramp exited 0 for v2/);
    expect(r.stderr).toMatch(/\[demo\] injected a regression/);
    expect(r.stderr).toMatch(/\[demo\] ramp exited 1 for v3/);
    expect(r.stderr).toContain('[demo] canary: both outcomes as expected: v2 promoted, v3 rolled back');
    // The CLI's own plain lines (CI=true): one timestamped line per event.
    expect(r.stderr).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z RolledBack /m);
    expect(r.code).toBe(0);
  }, 300_000);
});
