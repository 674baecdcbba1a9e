/**
 * The `ramp` CLI end to end, as a CI step runs it: the compiled `node bin/ramp` as a child process
 * (CI=true) against a real API server (RampApiServer) on a sandbox with the engine and a worker.
 * Exit codes by outcome, one timestamped line per event, reconnection across an API server restart
 * without losing or repeating an event, timeouts, bad input, no server, the TTY live view under a
 * pseudo-terminal, and the GitHub step summary.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import type { RolloutView } from '../../src/api/schemas';
import { StaticTokenAuthenticator } from '../../src/api/auth/staticTokens';
import { RampApiServer } from '../../src/api/server';
import { eventView } from '../../src/api/views';
import { eventLine } from '../../src/cli/output/eventLine';
import { freePort, type KubeObject, LoadGenerator, resource, waitFor } from '@ramp/sandbox';
import { EngineMetrics } from '../../src/observability/metrics';
import { silentLogger } from '../../src/observability/logger';
import { itHomeMade } from '../../packages/sandbox/test/helpers/controlPlane';
import {
  demoPlan,
  prepareNamespace,
  startEngineHarness,
  type EngineHarness,
  type PlanOptions,
} from '../helpers/engineHarness';

const ROOT = resolve(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'ramp');
const TOKEN = 'cli-e2e-token-0123456789';
const OTHER_TOKEN = 'cli-e2e-other-namespace-token';
const ISO_LINE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z \S/;
const ANSI = /\x1b/;

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** When the process exited (ms since epoch). */
  exitedAt: number;
}

interface RunningCli {
  output: { stdout: string; stderr: string };
  done: Promise<CliResult>;
}

/** Time from each rollout's outcome (its final updatedAt) to the CLI's exit. */
const outcomeToExitMs: number[] = [];

describe('the ramp CLI against the API on the sandbox', () => {
  let h: EngineHarness;
  let api: RampApiServer;
  let apiUrl: string;
  let apiPort: number;
  let dir: string;
  const loads: LoadGenerator[] = [];

  function startApi(port: number): Promise<string> {
    api = new RampApiServer({
      deps: h.deps,
      authenticator: new StaticTokenAuthenticator({
        tokens: [
          { token: TOKEN, subject: 'ci', namespaces: ['*'], verbs: ['read', 'write', 'operate'] },
          { token: OTHER_TOKEN, subject: 'other-team', namespaces: ['elsewhere'], verbs: ['read', 'write', 'operate'] },
        ],
      }),
      logger: silentLogger(),
      metrics: new EngineMetrics(),
      drainMs: 1000,
    });
    return api.listen(port);
  }

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist', 'src', 'cli', 'main.js')))
      throw new Error('dist/ is missing: run `npx tsc -p tsconfig.build.json` before the CLI e2e tests');
    h = await startEngineHarness('cli');
    dir = mkdtempSync(join(tmpdir(), 'ramp-cli-e2e-'));
    apiUrl = await startApi(0);
    apiPort = Number(new URL(apiUrl).port);
  }, 90_000);

  afterAll(async () => {
    for (const l of loads) await l.stop();
    await api?.close();
    await h?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (outcomeToExitMs.length) {
      const sorted = [...outcomeToExitMs].sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)];
      process.stdout.write(`CLI outcome → exit (ms): median ${median}, all ${sorted.join(', ')}\n`);
    }
  }, 60_000);

  /** Starts `node bin/ramp args…` with CI=true and the API's URL and token. */
  function startCli(args: string[], env: Record<string, string | undefined> = {}): RunningCli {
    const fullEnv: Record<string, string | undefined> = {
      ...process.env,
      CI: 'true',
      RAMP_URL: apiUrl,
      RAMP_TOKEN: TOKEN,
      GITHUB_STEP_SUMMARY: undefined,
      ...env,
    };
    for (const k of Object.keys(fullEnv)) if (fullEnv[k] === undefined) delete fullEnv[k];
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: fullEnv as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = { stdout: '', stderr: '' };
    child.stdout.on('data', (c: Buffer) => (output.stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output.stderr += c.toString()));
    const done = new Promise<CliResult>((res) =>
      child.on('close', (code) => res({ code, ...output, exitedAt: Date.now() })),
    );
    return { output, done };
  }

  const runCli = (args: string[], env?: Record<string, string | undefined>): Promise<CliResult> =>
    startCli(args, env).done;

  function planFile(name: string, o: PlanOptions): string {
    const path = join(dir, `${name}.yaml`);
    writeFileSync(path, YAML.stringify(demoPlan(o)));
    return path;
  }

  /** The final view a `--wait -o json` printed, and the outcome-to-exit time it took. */
  function finalView(r: CliResult): RolloutView {
    const view = JSON.parse(r.stdout) as RolloutView;
    outcomeToExitMs.push(r.exitedAt - Date.parse(view.updatedAt));
    return view;
  }

  /** First deploy of v1 through the CLI (no stable yet: no analysis), then steady load through the gateway. */
  async function deployV1(ns: string, load = true): Promise<void> {
    const host = await prepareNamespace(h.sb, ns);
    const r = await runCli([
      'rollout',
      '-f',
      planFile(`${ns}-v1`, { namespace: ns, version: 'v1', metrics: [] }),
      '--wait',
      '-o',
      'json',
    ]);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    expect(finalView(r).outcome).toBe('promoted');
    if (load) {
      const l = new LoadGenerator({ url: h.sb.urls.gateway, host, ratePerSecond: 100, seed: 7 });
      l.start();
      loads.push(l);
    }
  }

  /** The lines the CLI must have printed for a rollout: one per stored event, in order. */
  async function expectedLines(rolloutId: string, steps: number): Promise<string[]> {
    return (await h.deps.events.read(rolloutId)).map((e) => eventLine(eventView(e), steps));
  }

  const eventLines = (stderr: string): string[] =>
    stderr.split('\n').filter((l) => l && !l.includes('connection to the API lost'));

  // lint, the reconnection after a restart of Ramp's API server and the TTY view test the CLI and Ramp's API,
  // not Kubernetes: they run on the home-made lane only. The others also run on the real control plane.
  itHomeMade('lint: exit 0 for a valid plan, 2 with every problem and its path (offline)', async () => {
    const good = await runCli(['lint', '-f', planFile('lint-good', { namespace: 'x', version: 'v2' })], {
      RAMP_URL: undefined,
      RAMP_TOKEN: undefined,
    });
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/valid — checkout in x/);
    const badPath = join(dir, 'lint-bad.yaml');
    const bad = demoPlan({ namespace: 'x', version: 'v2' }) as unknown as {
      spec: { replicas: number; strategy: { canary: { steps: unknown[] } } };
    };
    bad.spec.replicas = 0;
    bad.spec.strategy.canary.steps[0] = { setWeight: 150 };
    writeFileSync(badPath, YAML.stringify(bad));
    const r = await runCli(['lint', '-f', badPath]);
    expect(r.code).toBe(2);
    // Each problem with its path, and its line and column in the file.
    expect(r.stdout).toMatch(/\n {2}spec\.replicas \(line \d+, column \d+\): expected an integer 1–10000\n/);
    expect(r.stdout).toMatch(
      /\n {2}spec\.strategy\.canary\.steps\[0\]\.setWeight \(line \d+, column \d+\): expected an integer 0–100\n/,
    );
  });

  it('bad input and no server: a refused plan exits 2 with its field path, missing config 2, no server 3', async () => {
    await prepareNamespace(h.sb, 'refused');
    const bad = demoPlan({ namespace: 'refused', version: 'v2' }) as unknown as {
      spec: { strategy: { canary: { steps: unknown[] } } };
    };
    bad.spec.strategy.canary.steps[0] = { setWeight: 150 };
    const badPath = join(dir, 'refused.yaml');
    writeFileSync(badPath, YAML.stringify(bad));
    const refused = await runCli(['rollout', '-f', badPath, '--wait']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('spec.strategy.canary.steps[0].setWeight');
    expect(await h.deps.store.list('refused')).toEqual([]);

    const noConfig = await runCli(['rollout', '-f', badPath], { RAMP_URL: undefined });
    expect(noConfig.code).toBe(2);
    expect(noConfig.stderr).toMatch(/--server URL or set RAMP_URL/);

    const good = planFile('noserver', { namespace: 'refused', version: 'v2' });
    const dry = await runCli(['rollout', '-f', good, '--dry-run', '-o', 'json']);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, rollout: { namespace: 'refused', name: 'checkout' } });
    expect(await h.deps.store.list('refused')).toEqual([]);
    const wrongNs = await runCli(['rollout', '-f', good, '-n', 'other']);
    expect(wrongNs.code).toBe(2);
    expect(wrongNs.stderr).toMatch(/-n other does not match the plan's metadata.namespace "refused"/);

    const nobody = await runCli(['rollout', '-f', good, '--wait'], {
      RAMP_URL: `http://127.0.0.1:${await freePort()}`,
    });
    expect(nobody.code).toBe(3);
    expect(nobody.stderr).toMatch(/cannot reach the Ramp API .*connection refused/);
  });

  it('rollout --wait exits 0 for a healthy version: one timestamped line per event, a step summary', async () => {
    const ns = 'good';
    await deployV1(ns);
    const summary = join(dir, 'summary-good.md');
    // A generous progress deadline: under load the analysis can take a minute to pass (see the report).
    const r = await runCli(
      [
        'rollout',
        '-f',
        planFile('good-v2', { namespace: ns, version: 'v2', progressDeadline: '5m' }),
        '--wait',
        '--timeout',
        '5m',
        '-o',
        'json',
      ],
      { GITHUB_STEP_SUMMARY: summary },
    );
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    const view = finalView(r);
    expect(view.outcome).toBe('promoted');
    const lines = r.stderr.trimEnd().split('\n');
    for (const l of lines) {
      expect(l).toMatch(ISO_LINE);
      expect(l).not.toMatch(ANSI);
    }
    expect(lines).toEqual(await expectedLines(view.id, view.steps.length));
    expect(lines.some((l) => l.includes('Succeeded'))).toBe(true);
    const md = readFileSync(summary, 'utf8');
    expect(md).toContain('### Ramp rollout `checkout` in `good`: ✅ promoted');
    expect(md).toMatch(/\| errors \| pass \|/);
  }, 240_000);

  it('rollout --wait exits 1 for a version with 20% errors (rolled back)', async () => {
    const ns = 'bad';
    await deployV1(ns);
    const plan = planFile('bad-v2', {
      namespace: ns,
      version: 'v2',
      errorRate: 0.2,
      steps: [{ setWeight: 20 }, { analyze: { min: '30s' } }, { setWeight: 50 }],
    });
    const r = await runCli(['rollout', '-f', plan, '--wait', '-o', 'json']);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 1, stderr: expect.any(String) });
    const view = finalView(r);
    expect(view.outcome).toBe('rolledBack');
    expect(eventLines(r.stderr)).toEqual(await expectedLines(view.id, view.steps.length));
    expect(r.stderr).toMatch(/RolledBack/);
  }, 240_000);

  itHomeMade(
    'reconnects when the API server is killed and restarted mid-rollout: right outcome, no event lost or repeated',
    async () => {
      const ns = 'restart';
      await deployV1(ns, false);
      const plan = planFile('restart-v2', {
        namespace: ns,
        version: 'v2',
        metrics: [],
        steps: [{ setWeight: 10 }, { pause: { duration: '4s' } }, { setWeight: 50 }, { pause: { duration: '4s' } }],
      });
      const cli = startCli(['rollout', '-f', plan, '--wait', '-o', 'json']);
      await waitFor(
        () => cli.output.stderr.includes('canary weight 0% → 10%'),
        'the CLI to show the first weight change',
        90_000,
        50,
      );
      await api.close();
      // A second attempt means the first found no server at all: a real outage, not just a closed stream.
      await waitFor(() => cli.output.stderr.includes('(attempt 2)'), 'the CLI to find the API server gone', 20_000, 50);
      await startApi(apiPort);
      const r = await cli.done;
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
      const view = finalView(r);
      expect(view.outcome).toBe('promoted');
      const lines = eventLines(r.stderr);
      expect(new Set(lines).size).toBe(lines.length);
      expect(lines).toEqual(await expectedLines(view.id, view.steps.length));
      expect(r.stderr).toMatch(/^\S+Z connection to the API lost \(.+\); reconnecting in \S+ \(attempt 1\)$/m);
      expect(r.stderr).toMatch(
        /^\S+Z connection to the API lost \(.*connection refused.*\); reconnecting in \S+ \(attempt 2\)$/m,
      );
    },
    240_000,
  );

  it('--timeout on a long rollout exits 3 and says it keeps going; --image, status, list, pause, resume, abort, retry, promote --full and watch work on it', async () => {
    const ns = 'slow';
    await deployV1(ns, false);
    // The deployed v1 template with another image: --image alone makes it a new revision.
    const plan = planFile('slow-v1', {
      namespace: ns,
      version: 'v1',
      metrics: [],
      steps: [{ setWeight: 10 }, { pause: { duration: '5m' } }],
    });
    const summary = join(dir, 'summary-slow.md');
    const timedOut = await runCli(
      ['rollout', '-f', plan, '--image', 'app=ramp.dev/demo-app:v2', '--wait', '--timeout', '1s'],
      { GITHUB_STEP_SUMMARY: summary },
    );
    expect(timedOut.code).toBe(3);
    expect(timedOut.stderr).toMatch(/gave up waiting after 1s: rollout slow\.checkout\.2 is \w+ and keeps going/);
    expect(readFileSync(summary, 'utf8')).toContain('stopped waiting; the rollout keeps going');

    await waitFor(
      async () => (await runCli(['status', 'checkout', '-n', ns])).stdout.includes('▶ 2. pause 5m'),
      'the rollout to reach its pause',
      60_000,
      500,
    );
    const status = JSON.parse((await runCli(['status', 'checkout', '-n', ns, '-o', 'json'])).stdout) as RolloutView;
    const canaryRs = (await h.sb.cluster.list(resource('replicasets'), { namespace: ns })).find(
      (rs) => rs.metadata.name === `checkout-${status.revisions.new}`,
    ) as KubeObject & {
      spec: { template: { spec: { containers: { image: string }[] } } };
    };
    expect(status.revisions.new).not.toBe(status.revisions.stable);
    expect(canaryRs.spec.template.spec.containers[0].image).toBe('ramp.dev/demo-app:v2');
    const list = await runCli(['list', '-n', ns, '-o', 'json']);
    expect(list.code).toBe(0);
    expect((JSON.parse(list.stdout) as { items: RolloutView[] }).items.map((i) => i.phase)).toEqual(
      expect.arrayContaining(['Progressing', 'Succeeded']),
    );

    // Exit codes a pipeline can act on: another rollout of the app is active (5), not allowed (4).
    const busy = await runCli(['rollout', '-f', plan, '--image', 'app=ramp.dev/demo-app:v3']);
    expect({ code: busy.code, err: busy.stderr }).toEqual({ code: 5, err: expect.stringMatching(/active rollout/) });
    const refused = await runCli(['status', 'checkout', '-n', ns], { RAMP_TOKEN: 'not-a-token-of-this-server' });
    expect(refused.code).toBe(4);
    const forbidden = await runCli(['status', 'checkout', '-n', ns], { RAMP_TOKEN: OTHER_TOKEN });
    expect(forbidden.code).toBe(4);

    const pause = await runCli(['pause', 'checkout', '-n', ns]);
    expect({ code: pause.code, out: pause.stdout }).toEqual({ code: 0, out: expect.stringMatching(/paused: Paused/) });
    const again = await runCli(['pause', 'checkout', '-n', ns]);
    expect({ code: again.code, out: again.stdout }).toEqual({
      code: 0,
      out: expect.stringMatching(/^pause: nothing to do, it is already paused/),
    });
    expect((await runCli(['resume', 'checkout', '-n', ns])).code).toBe(0);
    const abort = await runCli(['abort', 'checkout', '-n', ns]);
    expect(abort.code).toBe(0);
    expect(abort.stdout).toMatch(/aborting/);
    const watch = await runCli(['watch', 'checkout', '-n', ns, '-o', 'json'], { GITHUB_STEP_SUMMARY: summary });
    expect(watch.code).toBe(1);
    expect(finalView(watch).outcome).toBe('aborted');
    expect(readFileSync(summary, 'utf8')).toContain('⛔ aborted');
    const late = await runCli(['promote', 'checkout', '-n', ns]);
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/^ramp: /);

    const retry = await runCli(['retry', 'checkout', '-n', ns, '-o', 'json']);
    expect(retry.code).toBe(0);
    const second = JSON.parse(retry.stdout) as RolloutView;
    expect(second.attempt).toBe(2);
    await waitFor(
      async () => (await runCli(['status', 'checkout', '-n', ns])).stdout.includes('▶ 2. pause 5m'),
      'the retry to reach its pause',
      60_000,
      500,
    );
    expect((await runCli(['promote', 'checkout', '-n', ns, '--full'])).code).toBe(0);
    const promoted = await runCli(['watch', 'checkout', '-n', ns, '--rollout', second.id, '-o', 'json']);
    expect(promoted.code).toBe(0);
    expect(finalView(promoted).outcome).toBe('promoted');
  }, 240_000);

  itHomeMade(
    'on a terminal (pseudo-terminal via script), shows the live view: steps with the current one marked and the weight bar',
    async () => {
      const ns = 'tty';
      await deployV1(ns, false);
      const plan = planFile('tty-v2', {
        namespace: ns,
        version: 'v2',
        metrics: [],
        steps: [{ setWeight: 20 }, { pause: { duration: '3s' } }, { setWeight: 60 }, { pause: { duration: '2s' } }],
      });
      const cmd = `stty cols 120 rows 40; ${process.execPath} ${BIN} rollout -f ${plan} --wait`;
      const env: NodeJS.ProcessEnv = { ...process.env, RAMP_URL: apiUrl, RAMP_TOKEN: TOKEN, TERM: 'xterm' };
      delete env.CI;
      delete env.GITHUB_STEP_SUMMARY;
      const child = spawn('script', ['-qfec', cmd, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      const code = await new Promise<number | null>((res) => child.on('close', res));
      expect(code).toBe(0);
      expect(out).toMatch(ANSI);
      expect(out).toContain('\x1b[0J');
      expect(out).toContain('▶ 2. pause 3s');
      expect(out).toContain('✓ 1. setWeight 20');
      expect(out).toContain('canary [████░░░░░░░░░░░░░░░░] 20%');
      expect(out).toContain('canary [████████████░░░░░░░░] 60%');
      expect(out).toMatch(/checkout in tty · rollout tty\.checkout\.\d+ · promoted/);
      expect(out).toMatch(/rollout tty\.checkout\.\d+ promoted after/);
    },
    240_000,
  );
});
