/** README's values table is generated from charts/ramp/values.yaml, where every value has a comment. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';

const REPO = join(__dirname, '..', '..', '..');
const SCRIPT = join(REPO, 'scripts', 'chart', 'valuesTable.mjs');

function leaves(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || Object.keys(value).length === 0)
    return [prefix];
  return Object.entries(value).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k));
}

describe("the README's values table", () => {
  it('is current, and every value has a comment (node scripts/chart/valuesTable.mjs --write)', () => {
    const r = spawnSync('node', [SCRIPT, '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('lists every value of values.yaml', () => {
    const values = YAML.parse(readFileSync(join(REPO, 'charts', 'ramp', 'values.yaml'), 'utf8')) as unknown;
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    for (const key of leaves(values))
      expect({ key, listed: readme.includes(`| \`${key}\` |`) }).toEqual({ key, listed: true });
  });
});
