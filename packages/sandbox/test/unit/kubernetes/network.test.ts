/** The real control plane's addresses: without root, a missing route is one line saying what to run. */
import { ensureLocalRoutes, routeCommand } from '../../../src/kubernetes/network';
import { SandboxError } from '../../../src/errors/sandboxError';

describe('local routes for the real control plane', () => {
  it('says in one line what to run when a route is missing and it may not add it', async () => {
    // 10.251.0.0/16 is routed nowhere here; as a non-root process the sandbox must not try to add it.
    const err = await ensureLocalRoutes({ isRoot: false, ranges: ['10.251.0.0/16'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SandboxError);
    expect((err as Error).message).toBe(
      'the real control plane needs 10.251.0.0/16 routed to this machine and is not root: run `sudo ip route add local 10.251.0.0/16 dev lo` once (or run as root)',
    );
    expect((err as Error).message.split('\n')).toHaveLength(1);
  });

  it('names both routes by default', () => {
    expect(routeCommand()).toBe(
      'sudo ip route add local 10.244.0.0/16 dev lo && sudo ip route add local 10.96.0.0/16 dev lo',
    );
  });
});
