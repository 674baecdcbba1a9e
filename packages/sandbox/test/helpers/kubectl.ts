/** Runs the real kubectl against a kubeconfig, with its caches in a throw-away HOME. */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { dirname } from 'node:path';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function kubectl(
  kubeconfig: string,
  args: string[],
  opts: { input?: string; binary?: string; timeoutMs?: number } = {},
): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = execFile(
      opts.binary ?? 'kubectl',
      args,
      {
        env: { PATH: process.env.PATH, KUBECONFIG: kubeconfig, HOME: dirname(kubeconfig) },
        timeout: opts.timeoutMs ?? 60_000,
      },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Starts a long-running kubectl (e.g. `get pods -w`) and collects its output as it comes. */
export function kubectlStream(
  kubeconfig: string,
  args: string[],
): { child: ChildProcess; output: () => string; stop: () => Promise<void> } {
  const child = spawn('kubectl', args, {
    env: { PATH: process.env.PATH, KUBECONFIG: kubeconfig, HOME: dirname(kubeconfig) },
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return {
    child,
    output: () => out,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
