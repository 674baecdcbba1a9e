/**
 * `ramp sandbox up|down|status`: a sandbox running in a background process of its own, found again
 * through its directory's state.json. `up` returns once the sandbox answers; `down` stops it and every
 * process it started, even if the sandbox itself was killed.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SandboxError } from './errors/sandboxError';
import { readSandboxRecord, STATE_FILE, type SandboxRecord } from './sandbox';
import { isAlive, ProcessTracker } from './util/processes';

export interface UpOptions {
  dir: string;
  /** Arguments for the background `ramp sandbox up --foreground` (ports, --no-prometheus …). */
  args: string[];
  timeoutMs?: number;
  onProgress?: (line: string) => void;
}

function lastLines(file: string, n: number): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-n).join('\n');
  } catch {
    return '';
  }
}

/** Starts a sandbox in a detached process and resolves with its record once it runs. */
export async function startDetached(opts: UpOptions): Promise<SandboxRecord> {
  const dir = resolve(opts.dir);
  mkdirSync(dir, { recursive: true });
  const running = readSandboxRecord(dir);
  if (running && isAlive(running.pid)) return running;
  const outFile = join(dir, 'sandbox.out');
  const out = openSync(outFile, 'w');
  const cli = process.argv[1];
  const child = spawn(process.execPath, [cli, 'sandbox', 'up', '--foreground', '--dir', dir, ...opts.args], {
    detached: true,
    stdio: ['ignore', out, out],
    env: process.env,
  });
  closeSync(out);
  child.unref();
  let exitCode: number | null = null;
  child.once('exit', (code) => (exitCode = code ?? 1));
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  let shown = 0;
  for (;;) {
    const rec = readSandboxRecord(dir);
    if (rec && rec.pid === child.pid) return rec;
    const lines = lastLines(outFile, 200)
      .split('\n')
      .filter((l) => l.startsWith('['));
    for (const l of lines.slice(shown)) opts.onProgress?.(l);
    shown = Math.max(shown, lines.length);
    if (exitCode !== null) {
      const why = lastLines(outFile, 3) || `exit code ${exitCode}`;
      throw new SandboxError(`the sandbox did not start: ${why}`);
    }
    if (Date.now() > deadline) {
      throw new SandboxError(
        `the sandbox did not answer within ${Math.round((opts.timeoutMs ?? 120_000) / 1000)} s; see ${outFile} and ${join(dir, 'sandbox.log')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Stops the sandbox of `dir` and everything it started. Resolves with what it did. */
export async function stopSandbox(
  dirIn: string,
  timeoutMs = 30_000,
): Promise<{ wasRunning: boolean; leftoversKilled: number }> {
  const dir = resolve(dirIn);
  const rec = readSandboxRecord(dir);
  let wasRunning = false;
  if (rec && isAlive(rec.pid)) {
    wasRunning = true;
    process.kill(rec.pid, 'SIGTERM');
    const deadline = Date.now() + timeoutMs;
    while (isAlive(rec.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (isAlive(rec.pid)) process.kill(rec.pid, 'SIGKILL');
  }
  const leftoversKilled = ProcessTracker.killRecorded(dir);
  rmSync(join(dir, STATE_FILE), { force: true });
  return { wasRunning, leftoversKilled };
}

/** The admin token a sandbox wrote in its directory. */
export function sandboxToken(dir: string): string {
  return readFileSync(join(resolve(dir), 'tokens.csv'), 'utf8')
    .split(',')[0]
    .trim();
}

/** The running sandbox's own status (from its control endpoint), or why there is none. */
export async function sandboxStatus(
  dirIn: string,
): Promise<{ record: SandboxRecord; status: unknown } | { error: string }> {
  const dir = resolve(dirIn);
  const rec = readSandboxRecord(dir);
  if (!rec) return { error: `no sandbox in ${dir} (start one with \`ramp sandbox up --dir ${dirIn}\`)` };
  if (!isAlive(rec.pid))
    return {
      error: `the sandbox in ${dir} (pid ${rec.pid}) is not running; \`ramp sandbox down --dir ${dirIn}\` cleans up after it`,
    };
  try {
    const res = await fetch(`${rec.urls.control}/status`, {
      headers: { authorization: `Bearer ${sandboxToken(dir)}` },
      signal: AbortSignal.timeout(5000),
    });
    if (!res.ok) return { error: `the sandbox's control endpoint answered ${res.status}` };
    return { record: rec, status: await res.json() };
  } catch (e) {
    return { error: `the sandbox (pid ${rec.pid}) does not answer at ${rec.urls.control}: ${(e as Error).message}` };
  }
}
