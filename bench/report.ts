/** Writes a benchmark's results as JSON and as a Markdown table beside it (bench/results/<name>.*). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus } from 'node:os';

export interface BenchRow {
  metric: string;
  value: number;
  unit: string;
  note?: string;
}

export function resultsDir(): string {
  // bench/ is compiled to dist/bench; results belong in the source tree's bench/results.
  return join(__dirname.replace(/[\\/]dist[\\/]bench$/, '/bench'), 'results');
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function writeResults(name: string, rows: BenchRow[], extra: Record<string, unknown> = {}): void {
  const dir = resultsDir();
  mkdirSync(dir, { recursive: true });
  const meta = {
    benchmark: name,
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    ...extra,
  };
  writeFileSync(join(dir, `${name}.json`), JSON.stringify({ ...meta, rows }, null, 2) + '\n');
  const md = [
    `# ${name} benchmark`,
    '',
    `${meta.date}, Node ${meta.node}, ${meta.cpus} CPUs.`,
    '',
    '| metric | value | unit | note |',
    '| --- | ---: | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.metric} | ${Number.isInteger(r.value) ? r.value : r.value.toFixed(2)} | ${r.unit} | ${r.note ?? ''} |`,
    ),
    '',
  ].join('\n');
  writeFileSync(join(dir, `${name}.md`), md);
  process.stdout.write(md + '\n');
}

/** The nearest-rank percentile (p in 0–100) of a sample. */
export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1))];
}
