/** `ramp sandbox up|down|status`. */
import { CliUsageError, SandboxError } from '../../errors';
import { EXIT_CODES } from '../exitCodes';
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { defaultSandboxDir, withSandbox, type SandboxApi } from '../sandboxSeam';
import { progress } from '../progress';

interface UpFlags {
  dir: string;
  controlPlane: string;
  apiPort?: string;
  gatewayPort?: string;
  prometheus: boolean;
  redis: boolean;
  foreground?: boolean;
  prometheusBinary?: string;
}

function port(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw Object.assign(new SandboxError(`${flag}: expected a port number 0–65535, got "${v}"`), {
      badInput: true as const,
    });
  return n;
}

/** The --control-plane value, checked (exit 2 on anything else). */
function controlPlane(v: string): 'home-made' | 'kubernetes' {
  if (v === 'home-made' || v === 'kubernetes') return v;
  throw Object.assign(new SandboxError(`--control-plane: expected home-made or kubernetes, got "${v}"`), {
    badInput: true as const,
  });
}

function usage(
  dir: string,
  urls: { api: string; gateway: string; prometheus?: string; redis?: string },
  pid: number,
  plane = 'home-made',
): string {
  const rows = [
    [
      'API server',
      `${urls.api}${plane === 'kubernetes' ? '   (kube-apiserver, etcd, controller-manager, scheduler)' : ''}`,
    ],
    ['Gateway', `${urls.gateway}   (curl -H 'Host: <service>.<namespace>' ${urls.gateway}/)`],
    ['Prometheus', urls.prometheus ?? '(not started)'],
    ['Redis', urls.redis ?? '(not started)'],
  ];
  return [
    `Sandbox running (pid ${pid}) in ${dir}`,
    ...rows.map(([k, v]) => `  ${k.padEnd(11)} ${v}`),
    '',
    'Use it:',
    `  export KUBECONFIG=${resolve(dir, 'kubeconfig')}`,
    '  kubectl get pods -A',
    '',
    `Stop it: ramp sandbox down${dir === defaultSandboxDir() ? '' : ` --dir ${dir}`}`,
  ].join('\n');
}

async function runForeground(pkg: SandboxApi, flags: UpFlags): Promise<void> {
  progress(`[sandbox] starting in ${resolve(flags.dir)}`);
  const sb = await pkg.Sandbox.start({
    dir: flags.dir,
    controlPlane: controlPlane(flags.controlPlane),
    apiPort: port(flags.apiPort, '--api-port'),
    gatewayPort: port(flags.gatewayPort, '--gateway-port'),
    prometheus: flags.prometheus,
    redis: flags.redis,
    prometheusBinary: flags.prometheusBinary,
  });
  progress('[sandbox] running');
  process.stdout.write(usage(flags.dir, sb.urls, process.pid, sb.controlPlane) + '\n');
  await new Promise<void>((done) => {
    const stop = (): void => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      progress('[sandbox] stopping');
      void sb.close().then(done);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}

async function runDetached(pkg: SandboxApi, flags: UpFlags): Promise<void> {
  const args = [
    '--control-plane',
    flags.controlPlane,
    ...(flags.apiPort ? ['--api-port', flags.apiPort] : []),
    ...(flags.gatewayPort ? ['--gateway-port', flags.gatewayPort] : []),
    ...(flags.prometheus ? [] : ['--no-prometheus']),
    ...(flags.redis ? [] : ['--no-redis']),
    ...(flags.prometheusBinary ? ['--prometheus-binary', flags.prometheusBinary] : []),
  ];
  const rec = await pkg.startDetached({ dir: flags.dir, args, onProgress: (l) => progress(l) });
  process.stdout.write(usage(flags.dir, rec.urls, rec.pid, rec.controlPlane) + '\n');
}

export function registerSandbox(program: Command): void {
  const sandbox = program
    .command('sandbox')
    .description('a local Kubernetes (processes as pods), Prometheus and Redis for trying and testing Ramp');
  sandbox
    .command('up')
    .description('start the sandbox in the background and print how to use it')
    .option('--dir <dir>', 'where the sandbox keeps its kubeconfig, logs and data', defaultSandboxDir())
    .option(
      '--control-plane <kind>',
      "home-made (the sandbox's own API server) or kubernetes (etcd and kube-apiserver from scripts/kubernetes/build.sh; root)",
      'home-made',
    )
    .option('--api-port <port>', 'API server port (default: a free one)')
    .option('--gateway-port <port>', 'gateway port (default: a free one)')
    .option('--no-prometheus', 'do not start Prometheus')
    .option('--no-redis', 'do not reuse or start Redis')
    .option('--prometheus-binary <path>', 'the prometheus program to run (default: prometheus on PATH)')
    .option('--foreground', 'run in this process until interrupted')
    .action(async (flags: UpFlags) => {
      port(flags.apiPort, '--api-port');
      port(flags.gatewayPort, '--gateway-port');
      controlPlane(flags.controlPlane);
      await withSandbox((pkg) => (flags.foreground ? runForeground(pkg, flags) : runDetached(pkg, flags)));
    });
  sandbox
    .command('down')
    .description('stop the sandbox and every process it started')
    .option('--dir <dir>', 'the sandbox directory', defaultSandboxDir())
    .action(async (flags: { dir: string }) => {
      // A mistyped --dir must not read as "stopped" while the sandbox runs on elsewhere.
      if (!existsSync(flags.dir))
        throw new CliUsageError(
          `--dir: there is no sandbox directory at ${resolve(flags.dir)} (the default is ${defaultSandboxDir()}); nothing was stopped`,
        );
      const r = await withSandbox((pkg) => pkg.stopSandbox(flags.dir));
      const extra = r.leftoversKilled
        ? ` (and ${r.leftoversKilled} leftover process group${r.leftoversKilled === 1 ? '' : 's'})`
        : '';
      process.stdout.write(
        r.wasRunning ? `Sandbox stopped${extra}.\n` : `No sandbox was running in ${resolve(flags.dir)}${extra}.\n`,
      );
    });
  sandbox
    .command('status')
    .description('show whether the sandbox runs, where, and what it runs')
    .option('--dir <dir>', 'the sandbox directory', defaultSandboxDir())
    .option('-o, --output <format>', 'text or json', 'text')
    .action(async (flags: { dir: string; output: string }) => {
      const s = await withSandbox((pkg) => pkg.sandboxStatus(flags.dir));
      if ('error' in s) {
        process.stderr.write(`${s.error}\n`);
        process.exitCode = EXIT_CODES.unreachable;
        return;
      }
      if (flags.output === 'json') {
        process.stdout.write(JSON.stringify(s.status, null, 2) + '\n');
        return;
      }
      const st = s.status as { pods: Record<string, number>; watches?: number; controlPlane?: string };
      const pods =
        Object.entries(st.pods)
          .map(([k, v]) => `${v} ${k}`)
          .join(', ') || 'none';
      const watches = st.watches === undefined ? '' : `; open watches: ${st.watches}`;
      process.stdout.write(
        `${usage(flags.dir, s.record.urls, s.record.pid, st.controlPlane)}\n\nControl plane: ${st.controlPlane ?? 'home-made'}; pods: ${pods}${watches}\n`,
      );
    });
}
