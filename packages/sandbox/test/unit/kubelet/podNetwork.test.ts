/** What stands in for a pod's network namespace: wildcard listens bound to the pod IP, and mounts that cannot hide each other. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canMount, stagingDir, withMounts } from '../../../src/kubelet/mounts';
import { podListenArgs } from '../../../src/kubelet/podNetworkShim';

describe('podListenArgs', () => {
  const ip = '10.244.1.7';
  const cb = (): void => undefined;

  it.each([
    ['listen(port)', [8080], [8080, ip]],
    ['listen(port, "0.0.0.0", cb)', [8080, '0.0.0.0', cb], [8080, ip, cb]],
    ['listen(port, "::")', ['8080', '::'], ['8080', ip]],
    ['listen(port, cb)', [8080, cb], [8080, ip, cb]],
    ['listen()', [], [0, ip]],
    ['listen(cb)', [cb], [0, ip, cb]],
    ['listen({port})', [{ port: 9090 }], [{ port: 9090, host: ip }]],
    ['listen({port, host: "0.0.0.0"}, cb)', [{ port: 9090, host: '0.0.0.0' }, cb], [{ port: 9090, host: ip }, cb]],
  ])('binds %s to the pod IP', (_what, args, want) => expect(podListenArgs(args, ip)).toEqual(want));

  it.each([
    ['an address of its own', [8080, '127.0.0.1']],
    ['a Unix socket', ['/run/app.sock']],
    ['a socket path in options', [{ path: '/run/app.sock' }]],
    ['an inherited handle', [{ fd: 3 }]],
  ])('leaves %s as given', (_what, args) => expect(podListenArgs(args, ip)).toEqual(args));
});

describe('withMounts', () => {
  it('stages sources where no target can hide them', () => {
    expect(stagingDir(['/tmp', '/var/run/secrets/kubernetes.io/serviceaccount'])).toBe('/run/ramp-sandbox/mounts');
    expect(stagingDir(['/run'])).toBe('/var/tmp/ramp-sandbox-mounts');
    expect(() => stagingDir(['/'])).toThrow('no staging directory');
  });

  it('binds every source before mounting any target, and parents before children', () => {
    const { command, args } = withMounts(
      '/usr/bin/node',
      ['main.js'],
      [
        { source: '/tmp/sb/pods/p/volumes/sa', target: '/var/run/secrets/x', readOnly: true },
        { source: '/tmp/sb/pods/p/volumes/tmp', target: '/tmp', readOnly: false },
      ],
    );
    expect(command).toBe('/usr/bin/unshare');
    const script = args[args.indexOf('-c') + 1];
    const at = (s: string): number => script.indexOf(s);
    const stage = '/run/ramp-sandbox/mounts';
    expect(at(`mount --bind '/tmp/sb/pods/p/volumes/tmp' '${stage}/1'`)).toBeLessThan(at(`'${stage}/1' '/tmp'`));
    expect(at(`mount --bind '/tmp/sb/pods/p/volumes/sa' '${stage}/0'`)).toBeLessThan(at(`'${stage}/1' '/tmp'`));
    expect(at(`'${stage}/1' '/tmp'`)).toBeLessThan(at(`'${stage}/0' '/var/run/secrets/x'`));
    expect(script).toContain(`mount -o remount,bind,ro '/var/run/secrets/x'`);
    expect(args.slice(-3)).toEqual(['container', '/usr/bin/node', 'main.js']);
  });
});

describe('withMounts, run for real (root and util-linux unshare)', () => {
  const run = canMount() ? it : it.skip;

  run("keeps the image's files visible under a volume that covers their parent", () => {
    // The repository under /tmp and an emptyDir at /tmp: as when Ramp's tests run from a clone in /tmp.
    const parent = mkdtempSync(join(tmpdir(), 'ramp-mounts-'));
    try {
      const image = join(parent, 'repo');
      const volume = join(parent, 'volume');
      mkdirSync(image);
      mkdirSync(volume);
      writeFileSync(join(image, 'main.txt'), 'the program');
      writeFileSync(join(volume, 'scratch.txt'), 'the volume');
      const mounts = [{ source: volume, target: parent, readOnly: false }];
      const show = ['-c', `cat ${join(image, 'main.txt')} ${join(parent, 'scratch.txt')}`];
      const without = spawnSync(...spawnArgs(withMounts('/bin/sh', show, mounts)), { encoding: 'utf8' });
      expect(without.status).not.toBe(0);
      const kept = spawnSync(...spawnArgs(withMounts('/bin/sh', show, mounts, [image])), { encoding: 'utf8' });
      expect({ status: kept.status, out: kept.stdout, err: kept.stderr }).toEqual({
        status: 0,
        out: 'the programthe volume',
        err: '',
      });
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});

function spawnArgs(c: { command: string; args: string[] }): [string, string[]] {
  return [c.command, c.args];
}
