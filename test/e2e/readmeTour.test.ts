/**
 * The README's 5-minute tour, run as written: the shell block under "A 5-minute tour" is taken from
 * README.md and run by bash (errors stop it), in a fresh home directory so `~/.ramp/sandbox` is the
 * test's. Only `npm run build` is left out (the test run built everything already). Every command of the
 * tour must work, and its output must say what the tour promises.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');

/** The first ```sh block after the tour's heading. */
export function tourScript(readme: string): string {
  const section = readme.split('\n## A 5-minute tour\n')[1];
  const block = /```sh\n([\s\S]*?)\n```/.exec(section ?? '');
  if (!block) throw new Error('README.md has no ```sh block under "## A 5-minute tour"');
  return block[1];
}

function run(script: string, home: string): Promise<{ code: number | null; out: string }> {
  return new Promise((done) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], {
      cwd: ROOT,
      env: { ...process.env, HOME: home, KUBECONFIG: '' },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => process.kill(-(child.pid ?? 0), 'SIGKILL'), 240_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      done({ code, out });
    });
  });
}

describe('the README tour', () => {
  const home = mkdtempSync(join(tmpdir(), 'ramp-tour-'));

  afterAll(async () => {
    // Whatever happened, nothing of the tour stays running.
    await run('./bin/ramp sandbox down || true; pkill -f "ramp server --port 8080" || true', home);
    rmSync(home, { recursive: true, force: true });
  });

  it('runs as written, every command succeeding', async () => {
    const script = tourScript(readFileSync(join(ROOT, 'README.md'), 'utf8'))
      .split('\n')
      .filter((l) => !/^npm run build\b/.test(l))
      .join('\n');
    expect(script).toContain('./bin/ramp sandbox up');
    const { code, out } = await run(script, home);
    if (code !== 0) console.log(out);
    expect(code).toBe(0);
    // What the tour's comments promise.
    expect(out).toMatch(/sandbox\s+Ready/);
    expect(out).toMatch(/promoted/);
    // The curl through the gateway: the new version answers.
    expect(out).toContain(`"version":"v2"`);
  }, 300_000);
});
