/**
 * The kubelet as real kubectl sees it through the sandbox API server: pod STATUS columns, describe's
 * events, `kubectl logs` (with --previous, --tail, -c, -f) and a graceful `kubectl delete`.
 */
import { execFile, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TokenAuthenticator } from '../../../src/apiServer/auth';
import { createServingCertificates } from '../../../src/apiServer/certificates';
import { ApiServer } from '../../../src/apiServer/server';
import { isAlive } from '../../../src/util/processes';
import {
  containerStatus,
  createPod,
  demoContainer,
  type Harness,
  isReady,
  pidOf,
  requireDemoApp,
  startKubelet,
  waitForPod,
} from './harness';

function hasKubectl(): boolean {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

(hasKubectl() ? describe : describe.skip)('kubelet through kubectl', () => {
  let h: Harness;
  let server: ApiServer;
  let kubeconfig: string;

  /** Runs kubectl without blocking the event loop the API server and kubelet run on. */
  const kubectl = (...args: string[]): Promise<{ code: number; out: string; err: string }> =>
    new Promise((resolve) => {
      execFile('kubectl', ['--kubeconfig', kubeconfig, ...args], { timeout: 30_000 }, (e, out, err) =>
        resolve({ code: e ? Number((e as { code?: number }).code ?? 1) : 0, out: String(out), err: String(err) }),
      );
    });

  beforeAll(async () => {
    requireDemoApp();
    h = await startKubelet({ backoff: { initialMs: 500, maxMs: 4000 } });
    const certs = createServingCertificates();
    server = new ApiServer({
      registry: h.registry,
      auth: new TokenAuthenticator([
        { token: 'test-token', user: { username: 'admin', uid: 'admin', groups: ['system:masters'] } },
      ]),
      tls: certs,
      logs: h.kubelet,
    });
    const url = await server.listen();
    kubeconfig = join(h.stateDir, 'kubeconfig');
    const ca = Buffer.from(certs.caCert).toString('base64');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        `clusters: [{name: sandbox, cluster: {server: "${url}", certificate-authority-data: ${ca}}}]`,
        'users: [{name: admin, user: {token: test-token}}]',
        'contexts: [{name: sandbox, context: {cluster: sandbox, user: admin}}]',
        'current-context: sandbox',
        '',
      ].join('\n'),
    );
  });

  afterAll(async () => {
    await server?.close();
    await h?.close();
  });

  it('shows Running, CrashLoopBackOff, ErrImagePull and Completed in kubectl get pods', async () => {
    createPod(h.registry, 'web', [demoContainer()]);
    createPod(h.registry, 'crash', [
      {
        name: 'c',
        image: 'ramp.dev/exec:v1',
        command: ['sh', '-c', 'echo boom-$(cat n 2>/dev/null || echo 0); echo 1 > n; exit 3'],
      },
    ]);
    createPod(h.registry, 'ghost', [{ name: 'c', image: 'example.com/ghost:1' }]);
    createPod(h.registry, 'done', [{ name: 'c', image: 'ramp.dev/exec:v1', command: ['echo', 'hi'] }], {
      restartPolicy: 'Never',
    });
    await waitForPod(h.registry, 'web', 'Ready', isReady);
    await waitForPod(
      h.registry,
      'crash',
      'crash-looping',
      (p) => containerStatus(p, 'c')?.state?.waiting?.reason === 'CrashLoopBackOff',
    );
    await waitForPod(h.registry, 'done', 'Succeeded', (p) => p.status?.phase === 'Succeeded');
    const { out } = await kubectl(
      'get',
      'pods',
      '--no-headers',
      '-o',
      'custom-columns=NAME:.metadata.name,IP:.status.podIP',
    );
    for (const line of out.trim().split('\n')) expect(line).toMatch(/^\S+\s+127\.1\.\d+\.\d+$/);
    const table = (await kubectl('get', 'pods', '--no-headers')).out;
    const statusOf = (name: string): string => (new RegExp(`^${name}\\s+\\S+\\s+(\\S+)`, 'm').exec(table) ?? [])[1];
    expect(statusOf('web')).toBe('Running');
    expect(statusOf('crash')).toBe('CrashLoopBackOff');
    expect(['ErrImagePull', 'ImagePullBackOff']).toContain(statusOf('ghost'));
    expect(statusOf('done')).toBe('Completed');
    expect((await kubectl('describe', 'pod', 'crash')).out).toMatch(
      /Warning\s+BackOff\s+.*kubelet\s+Back-off restarting failed container c in pod crash_default/,
    );
  });

  it('serves kubectl logs, --previous, --tail and the kubelet’s errors', async () => {
    expect((await kubectl('logs', 'done')).out).toBe('hi\n');
    expect((await kubectl('logs', 'crash', '--previous')).out).toMatch(/^boom-\d\n$/);
    expect((await kubectl('logs', 'web', '--tail', '1')).out).toMatch(
      /demo-app v1 listening on 127\.1\.\d+\.\d+:8080 pod=web/,
    );
    const waiting = await kubectl('logs', 'ghost');
    expect(waiting.code).not.toBe(0);
    expect(waiting.err).toMatch(/container "c" in pod "ghost" is waiting to start: (ErrImagePull|ImagePullBackOff)/);
  });

  it('follows logs with -f until the container exits', async () => {
    createPod(
      h.registry,
      'brief',
      [{ name: 'c', image: 'ramp.dev/exec:v1', command: ['sh', '-c', 'echo one; sleep 1; echo two'] }],
      { restartPolicy: 'Never' },
    );
    await waitForPod(
      h.registry,
      'brief',
      'started',
      (p) => containerStatus(p, 'c')?.state?.running !== undefined || p.status?.phase === 'Succeeded',
    );
    const followed = await kubectl('logs', '-f', 'brief');
    expect(followed.out).toBe('one\ntwo\n');
  });

  it('deletes a pod gracefully with kubectl delete: the process is stopped and the pod gone', async () => {
    const pid = pidOf(containerStatus(await waitForPod(h.registry, 'web', 'Ready', isReady), 'app'));
    const res = await kubectl('delete', 'pod', 'web');
    expect(res.out).toContain('pod "web" deleted');
    expect(isAlive(pid)).toBe(false);
    expect((await kubectl('get', 'pod', 'web')).err).toContain('NotFound');
  });
});
