/**
 * `ramp server` as a process: it serves the API with the tokens file (open paths open, others need a
 * token), runs a worker with --worker, refuses bad flags and bad tokens files with exit 2, and on
 * SIGTERM ends event streams and exits 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Redis from 'ioredis';
import YAML from 'yaml';
import { RolloutEvents } from '../../../src/engine/events';
import { RolloutStore } from '../../../src/engine/store';
import { freePort, waitFor } from '@ramp/sandbox/util/ports';
import { testRedisUrl } from '../../helpers/redis';
import { TOKEN_FILE, TOKENS, unreachableKubeconfig } from './apiHarness';
import { openSse } from './sseClient';
import { storeRollout } from './records';

const CLI = resolve(__dirname, '..', '..', '..', 'bin', 'ramp');

interface Running {
  child: ChildProcess;
  logs: () => string;
  exited: Promise<number | null>;
}

function run(args: string[]): Running {
  const child = spawn(process.execPath, [CLI, 'server', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  child.stdout?.on('data', (d: Buffer) => (logs += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (logs += d.toString()));
  return { child, logs: () => logs, exited: new Promise((r) => child.once('exit', (code) => r(code))) };
}

describe('ramp server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ramp-server-'));
  const kubeconfig = unreachableKubeconfig(dir);
  const tokensFile = join(dir, 'tokens.yaml');
  writeFileSync(tokensFile, YAML.stringify(TOKEN_FILE));
  const redis = new Redis(testRedisUrl());
  const running: Running[] = [];
  afterAll(async () => {
    for (const r of running) if (r.child.exitCode === null) r.child.kill('SIGKILL');
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the API with the tokens file, runs a worker, and on SIGTERM ends event streams and exits 0', async () => {
    const port = await freePort();
    const prefix = `test-server-${port}`;
    const r = run([
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--tokens-file',
      tokensFile,
      '--redis-url',
      testRedisUrl(),
      '--kubeconfig',
      kubeconfig,
      '--prefix',
      prefix,
      '--queue',
      prefix,
      '--worker',
    ]);
    running.push(r);
    const base = `http://127.0.0.1:${port}`;
    try {
      await waitFor(async () => (await fetch(`${base}/healthz`)).ok, 'the server to answer /healthz', 20_000, 100);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      expect(await (await fetch(`${base}/metrics`)).text()).toContain('ramp_api_request_duration_seconds');
      expect((await fetch(`${base}/api/v1/namespaces/a/rollouts`)).status).toBe(401);
      expect(
        (await fetch(`${base}/api/v1/namespaces/b/rollouts`, { headers: { Authorization: `Bearer ${TOKENS.teamA}` } }))
          .status,
      ).toBe(403);
      expect(
        await (
          await fetch(`${base}/api/v1/namespaces/a/rollouts`, { headers: { Authorization: `Bearer ${TOKENS.teamA}` } })
        ).json(),
      ).toEqual({ items: [] });

      // A stream left open when the server stops is ended by it, not waited for.
      const conn = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
      const deps = {
        store: new RolloutStore({ connection: conn, prefix }),
        events: new RolloutEvents({ connection: conn, prefix }),
      };
      await storeRollout(deps as never, 'a', 'web', 'Progressing');
      const s = await openSse(`${base}/api/v1/namespaces/a/rollouts/web/events`, {
        Authorization: `Bearer ${TOKENS.admin}`,
      });
      await s.until((f) => f.length === 1);
      conn.disconnect();
      r.child.kill('SIGTERM');
      await s.closed;
      expect(await r.exited).toBe(0);
      const lines = r
        .logs()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { msg: string; worker?: boolean; url?: string });
      expect(lines.map((l) => l.msg)).toEqual(
        expect.arrayContaining(['server listening', 'server stopping', 'server stopped']),
      );
      expect(lines.find((l) => l.msg === 'server listening')).toMatchObject({ worker: true, url: base });
    } finally {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
    }
  }, 60_000);

  it('refuses bad flags, a missing tokens file and an invalid one with exit code 2', async () => {
    const bad = join(dir, 'bad-tokens.yaml');
    writeFileSync(bad, 'tokens:\n  - token: short\n    subject: x\n    namespaces: [a]\n    verbs: [read]\n');
    const providers = join(dir, 'providers.yaml');
    writeFileSync(providers, 'providers:\n  - name: main\n    prometheus: { address: "file:///etc/passwd" }\n');
    const cases: [string[], RegExp][] = [
      [
        ['--port', '0', '--tokens-file', tokensFile, '--providers-file', providers],
        /--providers-file .*providers\.yaml is not valid:\n\s+providers\[0\]\.prometheus\.address: expected the Prometheus URL/,
      ],
      [['--port', 'http', '--tokens-file', tokensFile], /--port: expected an integer 0–65535, got "http"/],
      [['--port', '0'], /--tokens-file: expected the tokens file \(or --auth kubernetes\)/],
      [
        ['--port', '0', '--auth', 'ldap'],
        /'--auth <kind>' argument 'ldap' is invalid\. Allowed choices are static, kubernetes/,
      ],
      [['--port', '0', '--tokens-file', join(dir, 'missing.yaml')], /missing\.yaml: cannot read the file/],
      [['--port', '0', '--tokens-file', bad], /tokens\[0\]\.token: expected a token of at least 16 characters/],
      [
        ['--port', '0', '--tokens-file', tokensFile, '--open-paths', 'healthz'],
        /--open-paths: expected paths starting with \//,
      ],
    ];
    for (const [args, message] of cases) {
      const r = run([...args, '--redis-url', testRedisUrl(), '--kubeconfig', kubeconfig]);
      running.push(r);
      expect(await r.exited).toBe(2);
      expect(r.logs()).toMatch(message);
    }
  }, 60_000);

  it('exits 1 with a clear message when the port is taken', async () => {
    const port = await freePort();
    const first = run([
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--tokens-file',
      tokensFile,
      '--redis-url',
      testRedisUrl(),
      '--kubeconfig',
      kubeconfig,
      '--prefix',
      `test-server-${port}`,
    ]);
    running.push(first);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, 'the first server', 20_000, 100);
    const second = run([
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--tokens-file',
      tokensFile,
      '--redis-url',
      testRedisUrl(),
      '--kubeconfig',
      kubeconfig,
      '--prefix',
      `test-server-${port}`,
    ]);
    running.push(second);
    expect(await second.exited).toBe(1);
    expect(second.logs()).toMatch(/cannot listen on 127\.0\.0\.1:\d+: the port is taken/);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
  }, 60_000);
});
