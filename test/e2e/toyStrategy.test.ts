/**
 * A strategy is one registration: a toy strategy written in test/ (allAtOnce) runs end to end on the
 * sandbox through the API and the CLI — a first deploy, a healthy version promoted and a bad one rolled
 * back — with no change to the engine, the API or the CLI. The API view and the CLI's lines show its own
 * steps, told by its describe().
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import type { RolloutView } from '../../src/api/schemas';
import { StaticTokenAuthenticator } from '../../src/api/auth/staticTokens';
import { RampApiServer } from '../../src/api/server';
import { LoadGenerator } from '@ramp/sandbox';
import { EngineMetrics } from '../../src/observability/metrics';
import { silentLogger } from '../../src/observability/logger';
import { strategies } from '../../src/strategies/registry';
import { demoPlan, prepareNamespace, startEngineHarness, type EngineHarness } from '../helpers/engineHarness';
import { allAtOnceStrategy } from '../fixtures/strategies/allAtOnce';

const BIN = join(resolve(__dirname, '..', '..'), 'bin', 'ramp');
const TOKEN = 'toy-strategy-token-0123456';

strategies.register(allAtOnceStrategy);

describe('a strategy registered from outside the engine (allAtOnce)', () => {
  let h: EngineHarness;
  let api: RampApiServer;
  let url: string;
  let dir: string;
  let load: LoadGenerator | undefined;

  beforeAll(async () => {
    h = await startEngineHarness('toy');
    dir = mkdtempSync(join(tmpdir(), 'ramp-toy-'));
    api = new RampApiServer({
      deps: h.deps,
      authenticator: new StaticTokenAuthenticator({
        tokens: [{ token: TOKEN, subject: 'ci', namespaces: ['*'], verbs: ['read', 'write', 'operate'] }],
      }),
      logger: silentLogger(),
      metrics: new EngineMetrics(),
      drainMs: 500,
    });
    url = await api.listen(0);
  }, 90_000);

  afterAll(async () => {
    await load?.stop();
    await api?.close();
    await h?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true', RAMP_URL: url, RAMP_TOKEN: TOKEN };
    delete env.GITHUB_STEP_SUMMARY;
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    return new Promise((res) => child.on('close', (code) => res({ code, stdout, stderr })));
  }

  /** The demo app's plan with the toy strategy in place of the canary, written to a file. */
  function planFile(name: string, version: string, errorRate = 0): string {
    const plan = demoPlan({ namespace: 'toy', version, errorRate, replicas: 2 }) as unknown as {
      spec: { strategy: Record<string, unknown> };
    };
    plan.spec.strategy = { allAtOnce: { router: { gatewayApi: { httpRoute: 'checkout' } }, analyze: '3s' } };
    const path = join(dir, `${name}.yaml`);
    writeFileSync(path, YAML.stringify(plan));
    return path;
  }

  it('deploys, promotes a healthy version and rolls back a bad one through the API and the CLI', async () => {
    const host = await prepareNamespace(h.sb, 'toy');
    const first = await cli(['rollout', '-f', planFile('v1', 'v1'), '--wait', '-o', 'json']);
    expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    // Steady requests through the gateway, so the analysis has something to judge.
    load = new LoadGenerator({ url: h.sb.urls.gateway, host, ratePerSecond: 100, seed: 7 });
    load.start();

    const good = await cli(['rollout', '-f', planFile('v2', 'v2'), '--wait', '-o', 'json']);
    expect({ code: good.code, stderr: good.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    const promoted = JSON.parse(good.stdout) as RolloutView;
    expect(promoted).toMatchObject({ strategy: 'allAtOnce', newRole: 'new', outcome: 'promoted' });
    expect(promoted.steps.map((s) => [s.description, s.state])).toEqual([
      ['the new revision at full size', 'done'],
      ['analyze at 50%', 'done'],
      ['switch the stable Service', 'done'],
    ]);
    // The CLI's plain lines are the strategy's own words: its analysis step and the switch.
    expect(good.stderr).toMatch(/analyzing at 50% for 3s/);
    expect(good.stderr).toMatch(/promoting: the stable Service now selects the new revision/);
    const svc = await h.deps.kube.core.readNamespacedService({ name: 'checkout', namespace: 'toy' });
    expect(svc.spec?.selector?.['ramp.dev/revision']).toBe(promoted.revisions.new);

    const bad = await cli(['rollout', '-f', planFile('v3', 'v3', 0.3), '--wait', '-o', 'json']);
    expect(bad.code).toBe(1);
    const rolledBack = JSON.parse(bad.stdout) as RolloutView;
    expect(rolledBack).toMatchObject({ strategy: 'allAtOnce', outcome: 'rolledBack' });
    expect(rolledBack.message).toMatch(/analysis failed/);
    const after = await h.deps.kube.core.readNamespacedService({ name: 'checkout', namespace: 'toy' });
    expect(after.spec?.selector?.['ramp.dev/revision']).toBe(promoted.revisions.new);
  }, 240_000);
});
