/**
 * Which control plane the tests of this run drive: jest's `kubernetes` project runs its files on the
 * real one (etcd, kube-apiserver, kube-controller-manager, kube-scheduler), the `home-made` project on
 * the sandbox's own (jest.config.js sets the global). Tests that need the home-made API server's
 * internals (fault injection, the in-process store) run only there.
 */
import type { ControlPlaneKind } from '../../src/sandbox';

declare global {
  var RAMP_CONTROL_PLANE: string | undefined;
}

/** The control plane under test: the jest project's, else RAMP_CONTROL_PLANE, else home-made. */
export function controlPlaneUnderTest(): ControlPlaneKind {
  const v = globalThis.RAMP_CONTROL_PLANE ?? process.env.RAMP_CONTROL_PLANE ?? 'home-made';
  if (v !== 'home-made' && v !== 'kubernetes')
    throw new Error(`RAMP_CONTROL_PLANE: expected home-made or kubernetes, got "${v}"`);
  return v;
}

/** `it` on the home-made control plane, `it.skip` on the real one (say why where it is used). */
export const itHomeMade: jest.It = controlPlaneUnderTest() === 'home-made' ? it : it.skip;

/** `it` on the real control plane only. */
export const itKubernetes: jest.It = controlPlaneUnderTest() === 'kubernetes' ? it : it.skip;

/** Pod addresses on the control plane under test, as kubectl prints them. */
export function podIpPattern(): string {
  return controlPlaneUnderTest() === 'kubernetes' ? '10\\.244\\.\\d+\\.\\d+' : '127\\.1\\.\\d+\\.\\d+';
}
