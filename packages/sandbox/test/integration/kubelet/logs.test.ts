/**
 * Pod logs through the kubelet's PodLogSource: what `kubectl logs` gets, with container selection,
 * tailLines, timestamps, limitBytes, previous and follow, and the kubelet's error messages.
 */
import type { Pod } from 'kubernetes-types/core/v1';
import type { PodLogOptions } from '../../../src/apiServer/podLogSource';
import type { KubeObject } from '../../../src/apiServer/types';
import { waitFor } from '../../../src/util/ports';
import { containerStatus, createPod, type Harness, readAll, startKubelet, waitForPod } from './harness';

const plain: PodLogOptions = { follow: false, previous: false, timestamps: false };

describe('kubelet: logs', () => {
  let h: Harness;
  const logs = (pod: Pod, opts: Partial<PodLogOptions> = {}): Promise<string> =>
    readAll(h.kubelet.open(pod as KubeObject, { ...plain, ...opts }));

  beforeAll(async () => {
    h = await startKubelet({ backoff: { initialMs: 200, maxMs: 1000 } });
  });

  afterAll(async () => {
    await h?.close();
  });

  it('returns stdout and stderr, the last N lines, timestamps and a byte limit', async () => {
    createPod(h.registry, 'talker', [
      {
        name: 'c',
        image: 'ramp.dev/exec:v1',
        command: ['sh', '-c', 'for i in 1 2 3 4 5; do echo line-$i; done; echo err-line >&2; exec sleep 1000'],
      },
    ]);
    const pod = await waitForPod(h.registry, 'talker', 'Running', (p) => p.status?.phase === 'Running');
    await waitFor(async () => (await logs(pod)).includes('err-line'), 'all output in the log');
    expect(await logs(pod)).toBe('line-1\nline-2\nline-3\nline-4\nline-5\nerr-line\n');
    expect(await logs(pod, { tailLines: 2 })).toBe('line-5\nerr-line\n');
    expect(await logs(pod, { tailLines: 0 })).toBe('');
    expect(await logs(pod, { limitBytes: 10 })).toBe('line-1\nlin');
    const stamped = (await logs(pod, { timestamps: true, tailLines: 1 })).trimEnd();
    expect(stamped).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z err-line$/);
  });

  it('serves the previous instance after a restart, and refuses when there is none', async () => {
    createPod(
      h.registry,
      'phoenix',
      [
        {
          name: 'c',
          image: 'ramp.dev/exec:v1',
          command: ['sh', '-c', 'if [ -f ran ]; then echo second-run; exit 0; fi; touch ran; echo first-run; exit 1'],
        },
      ],
      { restartPolicy: 'OnFailure' },
    );
    const pod = await waitForPod(h.registry, 'phoenix', 'Succeeded', (p) => p.status?.phase === 'Succeeded');
    expect(containerStatus(pod, 'c')?.restartCount).toBe(1);
    expect(await logs(pod)).toBe('second-run\n');
    expect(await logs(pod, { previous: true })).toBe('first-run\n');

    const talker = await waitForPod(h.registry, 'talker', 'Running', (p) => p.status?.phase === 'Running');
    expect(() => h.kubelet.open(talker as KubeObject, { ...plain, previous: true })).toThrow(
      'previous terminated container "c" in pod "talker" not found',
    );
  });

  it('asks for a container name when the pod has several, and rejects unknown ones', async () => {
    const duo = createPod(h.registry, 'duo', [
      { name: 'a', image: 'ramp.dev/exec:v1', command: ['sh', '-c', 'echo from-a; exec sleep 1000'] },
      { name: 'b', image: 'ramp.dev/exec:v1', command: ['sh', '-c', 'echo from-b; exec sleep 1000'] },
    ]);
    expect(() => h.kubelet.open(duo as KubeObject, plain)).toThrow(
      'a container name must be specified for pod duo, choose one of: [a b]',
    );
    expect(() => h.kubelet.open(duo as KubeObject, { ...plain, container: 'zz' })).toThrow(
      'container zz is not valid for pod duo',
    );
    const pod = await waitForPod(h.registry, 'duo', 'Running', (p) => p.status?.phase === 'Running');
    await waitFor(async () => (await logs(pod, { container: 'b' })) === 'from-b\n', 'b has written');
    expect(await logs(pod, { container: 'a' })).toBe('from-a\n');
  });

  it('says a container is waiting to start when it never ran', async () => {
    createPod(h.registry, 'nowhere', [{ name: 'c', image: 'example.com/none:1' }]);
    const pod = await waitForPod(h.registry, 'nowhere', 'pull failed', (p) =>
      /ImagePull/.test(containerStatus(p, 'c')?.state?.waiting?.reason ?? ''),
    );
    expect(() => h.kubelet.open(pod as KubeObject, plain)).toThrow(
      /^container "c" in pod "nowhere" is waiting to start: (ErrImagePull|ImagePullBackOff)$/,
    );
  });

  it('follows new lines until the client goes away', async () => {
    createPod(h.registry, 'ticker', [
      {
        name: 'c',
        image: 'ramp.dev/exec:v1',
        command: ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo tick-$i; sleep 0.1; done'],
      },
    ]);
    const pod = await waitForPod(h.registry, 'ticker', 'Running', (p) => p.status?.phase === 'Running');
    const stream = h.kubelet.open(pod as KubeObject, { ...plain, follow: true, tailLines: 1 });
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (c: string) => (text += c));
    await waitFor(() => (text.match(/tick-\d+\n/g) ?? []).length >= 5, 'five lines followed', 10_000);
    const ticks = (text.match(/tick-(\d+)/g) ?? []).map((t) => Number(t.slice(5)));
    // One line of history, then every new line in order, none skipped.
    expect(ticks.slice(1)).toEqual(ticks.slice(1).map((_, i) => ticks[1] + i));
    stream.destroy();
    await new Promise((r) => setImmediate(r));
    expect(stream.destroyed).toBe(true);
  });

  it('ends a follow when the container exits', async () => {
    createPod(
      h.registry,
      'brief',
      [{ name: 'c', image: 'ramp.dev/exec:v1', command: ['sh', '-c', 'echo a; sleep 0.5; echo b'] }],
      { restartPolicy: 'Never' },
    );
    const pod = await waitForPod(
      h.registry,
      'brief',
      'started',
      (p) => containerStatus(p, 'c')?.state?.running !== undefined || p.status?.phase === 'Succeeded',
    );
    expect(await readAll(h.kubelet.open(pod as KubeObject, { ...plain, follow: true }), 10_000)).toBe('a\nb\n');
  });
});
