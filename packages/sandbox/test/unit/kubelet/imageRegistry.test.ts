import fc from 'fast-check';
import { demoAppImage, ImageRegistry, parseImageReference, rampImage } from '../../../src/kubelet/imageRegistry';
import { IpAllocator } from '../../../src/kubelet/ipAllocator';

describe('image references', () => {
  it.each([
    ['nginx', 'docker.io/library/nginx:latest'],
    ['nginx:1.25', 'docker.io/library/nginx:1.25'],
    ['bitnami/redis:7', 'docker.io/bitnami/redis:7'],
    ['ramp.dev/demo-app:v1', 'ramp.dev/demo-app:v1'],
    ['localhost:5000/app', 'localhost:5000/app:latest'],
    ['ghcr.io/a/b@sha256:abc', 'ghcr.io/a/b@sha256:abc'],
  ])('%s → %s', (raw, normalized) => expect(parseImageReference(raw).normalized).toBe(normalized));
});

describe('ImageRegistry', () => {
  const images = ImageRegistry.withBuiltins('/nonexistent-root');

  it('runs exec images as their command, with a stable image ID', () => {
    const r = images.pull('ramp.dev/exec:v1');
    if (!r.ok) throw new Error(r.message);
    expect(r.image.definition.build({ command: ['sleep'], args: ['5'] }, r.image.reference)).toEqual({
      command: 'sleep',
      args: ['5'],
    });
    expect(r.image.imageID).toMatch(/^ramp\.dev\/exec@sha256:[0-9a-f]{64}$/);
    const again = images.pull('ramp.dev/exec:v1');
    expect(again.ok && again.image.imageID).toBe(r.image.imageID);
    expect(() => r.image.definition.build({}, r.image.reference)).toThrow('no command specified');
  });

  it('refuses unknown images and an uncompiled demo app, saying why', () => {
    const unknown = images.pull('example.com/x:1');
    expect(unknown).toEqual({
      ok: false,
      message: 'failed to resolve reference "example.com/x:1": example.com/x:1: not found',
    });
    const demo = images.pull('ramp.dev/demo-app:v1');
    expect(!demo.ok && demo.message).toContain('compile the sandbox first');
  });

  it("runs the demo app with its tag as the default VERSION, and a container's command as given", () => {
    const def = demoAppImage('/repo');
    const ref = parseImageReference('ramp.dev/demo-app:v7');
    expect(def.build({ args: ['--x'] }, ref)).toEqual({
      command: process.execPath,
      args: ['/repo/dist/demoApp/main.js', '--default-version=v7', '--x'],
    });
    expect(def.build({ command: ['sleep', '5'] }, ref)).toEqual({ command: 'sleep', args: ['5'] });
  });

  it("runs Ramp as the chart's image: entrypoint `ramp` (with the pod-network preload), the container's args after it", () => {
    const def = rampImage('/repo/packages/sandbox');
    const ref = parseImageReference('ramp.dev/ramp:0.1.0');
    expect(def.build({ args: ['worker', '--concurrency=8'] }, ref)).toEqual({
      command: process.execPath,
      args: [
        '--require',
        '/repo/packages/sandbox/dist/kubelet/podNetworkShim.js',
        '/repo/dist/src/cli/main.js',
        'worker',
        '--concurrency=8',
      ],
      files: ['/repo'],
    });
    expect(def.build({ command: ['node', '-e', '1'] }, ref)).toEqual({
      command: 'node',
      args: ['-e', '1'],
      files: ['/repo'],
    });
    const missing = images.pull('ramp.dev/ramp:0.1.0');
    expect(!missing.ok && missing.message).toContain('compile Ramp first');
  });

  it('takes extra definitions, first match winning', () => {
    const reg = ImageRegistry.withBuiltins('/x').register({
      pattern: 'example.com/tool:*',
      build: (_c, ref) => ({ command: 'echo', args: [ref.tag ?? ''] }),
    });
    const r = reg.pull('example.com/tool:7');
    expect(r.ok && r.image.definition.build({}, r.image.reference)).toEqual({ command: 'echo', args: ['7'] });
  });
});

describe('IpAllocator', () => {
  it('hands out distinct 127.1.x.y addresses and reuses released ones last', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: IpAllocator.SIZE - 1 }),
        fc.array(fc.boolean(), { maxLength: 300 }),
        (start, ops) => {
          const ips = new IpAllocator(start);
          const live = new Set<string>();
          for (const allocate of ops) {
            if (allocate || live.size === 0) {
              const ip = ips.allocate();
              expect(ip).toMatch(/^127\.1\.(\d{1,3})\.(\d{1,3})$/);
              const [, x, y] = /^127\.1\.(\d+)\.(\d+)$/.exec(ip) ?? [];
              expect(Number(x)).toBeLessThanOrEqual(255);
              expect(Number(y)).toBeGreaterThanOrEqual(1);
              expect(Number(y)).toBeLessThanOrEqual(254);
              expect(live.has(ip)).toBe(false);
              live.add(ip);
            } else {
              const ip = [...live][0];
              ips.release(ip);
              live.delete(ip);
            }
          }
          expect(ips.inUse).toBe(live.size);
        },
      ),
    );
  });

  it('does not hand a released address straight back', () => {
    const ips = new IpAllocator(0);
    const a = ips.allocate();
    ips.release(a);
    expect(ips.allocate()).not.toBe(a);
  });
});
