/**
 * The API fuzz benchmark (`npm run bench -- api-fuzz [--quick]`): schemathesis, from a virtualenv
 * outside the repository (~/.cache/ramp/schemathesis-venv, made on first use with a pinned version),
 * runs every check it has against /openapi.json of a RampApiServer on the sandbox, with a token and a
 * fixed seed. We count the requests it sent by status (from its HAR report) and the failures it found
 * (from its JUnit report): a 500, a status the document does not list, a body that does not match its
 * schema are each a defect of the API or of the document.
 */
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiOnSandbox, smallPlan } from './apiOnSandbox';
import { writeResults, type BenchRow } from './report';

export const SCHEMATHESIS_VERSION = '4.32.5';
const TOKEN = 'bench-fuzz-token-0123456789';
const NS = 'bench-fuzz';
const SEED = 20261205;

/**
 * The same run (seed, examples, path parameters) before the fixes of 2026-12-05, recorded from its
 * report: what schemathesis found, and how each was settled.
 */
const BEFORE_FIXES = {
  requests: 7560,
  failures: [
    ['ST108 SSE event violates schema', 'fixed: the stream was documented as a string, not its events'],
    ['ST201 Schema-violating request accepted', 'fixed: an empty Last-Event-ID, served, is now documented'],
    [
      'ST202 Schema-valid request rejected',
      'configured: 422 is the documented answer for rules JSON Schema cannot say',
    ],
  ],
} as const;

function venvDir(): string {
  return process.env.RAMP_SCHEMATHESIS_VENV ?? join(homedir(), '.cache', 'ramp', 'schemathesis-venv');
}

/** The schemathesis executable, installing the pinned version into the virtualenv when it is not there. */
function schemathesis(): string {
  const venv = venvDir();
  const bin = join(venv, 'bin', 'schemathesis');
  const version = existsSync(bin) ? spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout : '';
  if (version.includes(SCHEMATHESIS_VERSION)) return bin;
  const run = (cmd: string, args: string[]): void => {
    const r = spawnSync(cmd, args, { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}`);
  };
  if (!existsSync(join(venv, 'bin', 'pip'))) run('python3', ['-m', 'venv', venv]);
  run(join(venv, 'bin', 'pip'), ['install', '--quiet', `schemathesis==${SCHEMATHESIS_VERSION}`]);
  return bin;
}

interface HarEntry {
  request: { method: string; url: string };
  response: { status: number; content?: { text?: string } };
}

/**
 * The fields 422 answers named, most named first: what made plans the document calls valid unfit —
 * rules JSON Schema cannot say (the URL's namespace, the cluster), or ones the document could still say.
 */
function refusedFields(harPath: string, top: number): [string, number][] {
  const har = JSON.parse(readFileSync(harPath, 'utf8')) as { log: { entries: HarEntry[] } };
  const counts = new Map<string, number>();
  for (const e of har.log.entries) {
    if (e.response.status !== 422) continue;
    let details: { path: string; message: string }[] = [];
    try {
      details = (JSON.parse(e.response.content?.text ?? '') as { error: { details: typeof details } }).error.details;
    } catch {
      continue;
    }
    // Per answer, each field once, its list index dropped (steps[3] and steps[0] are one rule).
    for (const f of new Set(details.map((d) => `${d.path.replace(/\[\d+\]/g, '[]')}: ${d.message.slice(0, 60)}`)))
      counts.set(f, (counts.get(f) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
}

/** Requests by status code, from the HAR file schemathesis wrote. */
function statusCounts(harPath: string): Record<string, number> {
  const har = JSON.parse(readFileSync(harPath, 'utf8')) as { log: { entries: HarEntry[] } };
  const counts: Record<string, number> = {};
  for (const e of har.log.entries) counts[e.response.status] = (counts[e.response.status] ?? 0) + 1;
  return counts;
}

/** Failed test cases by check, from the JUnit report: each `<failure message=…>` names what failed. */
function failures(junitPath: string): { total: number; byKind: Record<string, number>; messages: string[] } {
  const xml = readFileSync(junitPath, 'utf8');
  const unescape = (t: string): string =>
    t
      .replace(/&quot;/g, '"')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  const blocks = [...xml.matchAll(/<(failure|error)[^>]*>([\s\S]*?)<\/\1>/g)].map((m) => unescape(m[2]));
  const byKind: Record<string, number> = {};
  const messages: string[] = [];
  // Each block lists its failures as lines of their own ("- ST108 SSE event violates schema" …).
  for (const b of blocks)
    for (const k of b.matchAll(/^- ((?:ST\d+ )?[^\n]+)$/gm)) {
      byKind[k[1].trim()] = (byKind[k[1].trim()] ?? 0) + 1;
      messages.push(k[1].trim());
    }
  return { total: messages.length, byKind, messages };
}

function runSchemathesis(bin: string, url: string, reportDir: string, maxExamples: number): Promise<number> {
  // Path parameters fixed to the namespace and app that exist, so the operations on a rollout reach it
  // instead of answering 404 to every generated name.
  const config = join(reportDir, 'schemathesis.toml');
  // A plan the document's schema admits can still be refused with 422 for what JSON Schema cannot say: its
  // metadata.namespace must be the URL's, the HTTPRoute it names must exist in the cluster. 422 is the
  // documented answer for those, so a schema-valid plan answered 422 is not a defect.
  writeFileSync(
    config,
    [
      '[parameters]',
      `ns = "${NS}"`,
      'name = "checkout"',
      '',
      '[[operations]]',
      'include-operation-id = "createRollout"',
      'checks.positive_data_acceptance.expected-statuses = ["2XX", "401", "403", "404", "409", "422", "429"]',
      '',
    ].join('\n'),
  );
  const args = [
    '--config-file',
    config,
    'run',
    `${url}/openapi.json`,
    '-H',
    `Authorization: Bearer ${TOKEN}`,
    '--checks',
    'all',
    '--seed',
    String(SEED),
    '--max-examples',
    String(maxExamples),
    // One worker: with a seed, the same requests in the same order each run.
    '--workers',
    '1',
    '--continue-on-failure',
    '--report',
    'har,junit',
    '--report-har-path',
    join(reportDir, 'har.json'),
    '--report-junit-path',
    join(reportDir, 'junit.xml'),
    '--request-timeout',
    '10',
  ];
  return new Promise((resolve, reject) => {
    // In the report directory: schemathesis keeps its cache (.schemathesis/) in its working directory.
    const child = spawn(bin, args, {
      cwd: reportDir,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    // On Ctrl-C the bench exits: schemathesis goes with it.
    const stop = (): void => void child.kill('SIGTERM');
    process.once('exit', stop);
    child.on('error', reject);
    child.on('exit', (code) => {
      process.off('exit', stop);
      resolve(code ?? 1);
    });
  });
}

export async function runApiFuzzBench(quick: boolean): Promise<void> {
  const bin = schemathesis();
  const maxExamples = quick ? 20 : 100;
  const api = await startApiOnSandbox({ name: 'fuzz', tokens: [TOKEN], namespace: NS, apps: ['checkout'] });
  const reportDir = process.env.RAMP_FUZZ_REPORT_DIR ?? mkdtempSync(join(tmpdir(), 'ramp-bench-fuzz-'));
  try {
    // Something to find: a real rollout in the namespace, so not every GET is a 404.
    const created = await fetch(`${api.base}/api/v1/namespaces/${NS}/rollouts`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      body: smallPlan('checkout'),
    });
    if (created.status !== 201) throw new Error(`creating the seed rollout answered ${created.status}`);
    const t0 = performance.now();
    const exit = await runSchemathesis(bin, api.base, reportDir, maxExamples);
    const seconds = (performance.now() - t0) / 1000;
    const statuses = statusCounts(join(reportDir, 'har.json'));
    const found = failures(join(reportDir, 'junit.xml'));
    const refused = refusedFields(join(reportDir, 'har.json'), 8);
    const requests = Object.values(statuses).reduce((a, b) => a + b, 0);
    const rows: BenchRow[] = [
      {
        metric: 'requests sent',
        value: requests,
        unit: 'requests',
        note: `seed ${SEED}, ≤ ${maxExamples} examples per operation, 1 worker`,
      },
      ...Object.entries(statuses)
        .sort(([a], [b]) => Number(a) - Number(b))
        .map(([s, n]) => ({ metric: `status ${s}`, value: n, unit: 'responses' })),
      ...refused.map(([field, n]) => ({ metric: `422 naming ${field}`, value: n, unit: 'responses' })),
      { metric: 'failures found', value: found.total, unit: 'test cases', note: `schemathesis exit code ${exit}` },
      ...Object.entries(found.byKind).map(([k, n]) => ({
        metric: `failing check: ${k}`,
        value: n,
        unit: 'test cases',
      })),
      {
        metric: 'before the fixes: requests sent',
        value: BEFORE_FIXES.requests,
        unit: 'requests',
        note: 'recorded run: seed 20261205, ≤ 100 examples per operation, 1 worker',
      },
      {
        metric: 'before the fixes: failures found',
        value: BEFORE_FIXES.failures.length,
        unit: 'test cases',
        note: BEFORE_FIXES.failures.map(([check, how]) => `${check} (${how})`).join('; '),
      },
      { metric: 'run time', value: seconds, unit: 's', note: '2 CPUs shared with other work' },
    ];
    writeResults('api-fuzz', rows, {
      schemathesis: SCHEMATHESIS_VERSION,
      seed: SEED,
      maxExamples,
      checks: 'all',
      failureMessages: found.messages,
    });
  } finally {
    await api.close();
    if (!process.env.RAMP_FUZZ_REPORT_DIR) rmSync(reportDir, { recursive: true, force: true });
  }
}
