/**
 * What `docker build .` would send: no container engine runs here, so the build context is computed from
 * .dockerignore with Docker's rules (patterns in order, the last match wins, a match on a directory covers
 * what is below it, `!` re-includes) over every file of the working tree, tracked, untracked or ignored.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const REPO = join(__dirname, '..', '..', '..');

interface Pattern {
  re: RegExp;
  include: boolean;
}

function toRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i];
    if (ch === '*' && glob[i + 1] === '*') {
      re += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function patterns(): Pattern[] {
  return readFileSync(join(REPO, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const include = l.startsWith('!');
      const glob = (include ? l.slice(1) : l).replace(/^\/+/, '').replace(/\/+$/, '');
      return { re: toRegExp(glob), include };
    });
}

/** Whether `path` is in the build context. */
function inContext(path: string, rules: Pattern[]): boolean {
  const parts = path.split('/');
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let included = true;
  for (const p of rules) if (prefixes.some((x) => p.re.test(x))) included = p.include;
  return included;
}

/** Every file of the working tree, and a file inside each ignored directory (node_modules/, dist/, …). */
function workingTree(): string[] {
  const git = (args: string[]): string[] =>
    execFileSync('git', args, { cwd: REPO, encoding: 'utf8' }).split('\n').filter(Boolean);
  const files = git(['ls-files', '--cached', '--others', '--exclude-standard']);
  const ignored = git(['ls-files', '--others', '--ignored', '--exclude-standard', '--directory']);
  return [...files, ...ignored.map((d) => (d.endsWith('/') ? `${d}index.js` : d)), '.git/config'];
}

describe('the image build context (.dockerignore)', () => {
  const rules = patterns();
  const context = workingTree().filter((f) => inContext(f, rules));

  it('holds what the Dockerfile copies', () => {
    for (const f of [
      'package.json',
      'package-lock.json',
      'tsconfig.build.json',
      'bin/ramp',
      'src/cli/main.ts',
      'src/kube/client.ts',
      'packages/kube-schemas/package.json',
      'packages/kube-schemas/src/index.ts',
      'packages/kube-schemas/specs/api__v1_openapi.json',
      'packages/sandbox/package.json',
      'packages/sandbox/src/index.ts',
    ])
      expect({ f, inContext: context.includes(f) }).toEqual({ f, inContext: true });
    const copied = readFileSync(join(REPO, 'Dockerfile'), 'utf8')
      .split('\n')
      .filter((l) => /^COPY /.test(l) && !l.includes('--from='))
      .flatMap((l) => l.split(/\s+/).slice(1, -1));
    for (const src of copied) {
      expect({ src, exists: existsSync(join(REPO, src)) }).toEqual({ src, exists: true });
      expect({ src, sent: context.some((f) => f === src || f.startsWith(`${src.replace(/\/$/, '')}/`)) }).toEqual({
        src,
        sent: true,
      });
    }
  });

  it('holds no node_modules, no build output, no tests, no secrets, no git', () => {
    const bad = context.filter((f) =>
      /(^|\/)(node_modules|dist|\.git|test|coverage)\/|\.test\.ts$|(^|\/)\.env|\.pem$|\.key$|kubeconfig|^charts\/|^bench\/results\//.test(
        f,
      ),
    );
    expect(bad).toEqual([]);
    process.stderr.write(`[image] build context: ${context.length} files\n`);
  });

  it('runs as a non-root user, from a slim Node 20 base, with production dependencies only', () => {
    const dockerfile = readFileSync(join(REPO, 'Dockerfile'), 'utf8');
    const stages = dockerfile.split(/^FROM /m).slice(1);
    expect(stages.map((s) => s.split(/\s/)[0])).toEqual(['node:20-bookworm-slim', 'node:20-bookworm-slim']);
    const runtime = stages[stages.length - 1];
    expect(runtime).toMatch(/^USER 10001:10001$/m);
    expect(runtime).toContain('npm ci --omit=dev --include-workspace-root --workspace @ramp/kube-schemas');
    expect(runtime).not.toMatch(/COPY .*packages\/sandbox\/(src|dist)/);
    expect(runtime).not.toMatch(/COPY .*(bench|dist\/bench|test)/);
  });
});
