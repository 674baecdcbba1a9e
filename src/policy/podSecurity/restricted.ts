/**
 * The restricted level of the Kubernetes Pod Security Standards (on top of baseline), as the
 * pod-security-admission library of Kubernetes 1.35 defines it. Where a restricted control checks a
 * baseline control's fields more strictly it takes that control's place, as Kubernetes does; Windows
 * pods skip the controls Kubernetes does not apply to them, and pods in a user namespace
 * (`hostUsers: false`) the run-as-root ones.
 */
import { procMountViolations } from './baseline';
import type { Control, Violation } from './control';
import { arr, obj, type ContainerView, type PodView } from './podView';

const forContainers = (pod: PodView, f: (c: ContainerView) => Violation[]): Violation[] => pod.containers.flatMap(f);

/** The volume sources a restricted pod may use; a volume with no source is an emptyDir. */
const RESTRICTED_VOLUME_SOURCES = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);
const SECCOMP_TYPES = new Set(['RuntimeDefault', 'Localhost']);

const volumeTypes: Control = {
  title: 'Volume Types',
  level: 'restricted',
  replaces: ['HostPath Volumes'],
  check: (pod) =>
    arr(pod.spec.volumes).flatMap((v, i) =>
      Object.keys(obj(v))
        .filter((k) => k !== 'name' && !RESTRICTED_VOLUME_SOURCES.has(k))
        .map((k) => ({
          path: `${pod.path}.spec.volumes[${i}].${k}`,
          message: `${k} volumes are not allowed (configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected, secret are)`,
        })),
    ),
};

const privilegeEscalation: Control = {
  title: 'Privilege Escalation',
  level: 'restricted',
  check: (pod) =>
    pod.windows
      ? []
      : forContainers(pod, (c) =>
          c.sc.allowPrivilegeEscalation === false
            ? []
            : [
                {
                  path: `${c.path}.securityContext.allowPrivilegeEscalation`,
                  message: `container ${c.name} must set allowPrivilegeEscalation to false`,
                },
              ],
        ),
};

const runAsNonRoot: Control = {
  title: 'Running as Non-root',
  level: 'restricted',
  check: (pod) => {
    if (pod.userNamespace) return [];
    const out: Violation[] = [];
    const podLevel = pod.sc.runAsNonRoot;
    if (podLevel === false)
      out.push({
        path: `${pod.path}.spec.securityContext.runAsNonRoot`,
        message: 'the pod may not set runAsNonRoot to false',
      });
    for (const c of pod.containers) {
      const own = c.sc.runAsNonRoot;
      if (own === true || (own === undefined && podLevel === true)) continue;
      out.push({
        path: `${c.path}.securityContext.runAsNonRoot`,
        message:
          own === false
            ? `container ${c.name} may not set runAsNonRoot to false`
            : `container ${c.name} (or the pod) must set runAsNonRoot to true`,
      });
    }
    return out;
  },
};

const runAsUser: Control = {
  title: 'Running as Non-root user',
  level: 'restricted',
  check: (pod) => {
    if (pod.userNamespace) return [];
    const contexts = [
      { path: `${pod.path}.spec.securityContext`, sc: pod.sc, who: 'the pod' },
      ...pod.containers.map((c) => ({ path: `${c.path}.securityContext`, sc: c.sc, who: `container ${c.name}` })),
    ];
    return contexts
      .filter(({ sc }) => sc.runAsUser === 0)
      .map(({ path, who }) => ({ path: `${path}.runAsUser`, message: `${who} may not run as user 0 (root)` }));
  },
};

const seccomp: Control = {
  title: 'Seccomp (restricted)',
  level: 'restricted',
  replaces: ['Seccomp'],
  check: (pod) => {
    if (pod.windows) return [];
    const out: Violation[] = [];
    const podType = obj(pod.sc.seccompProfile).type;
    const podOk = typeof podType === 'string' && SECCOMP_TYPES.has(podType);
    if (podType !== undefined && podType !== null && !podOk)
      out.push({
        path: `${pod.path}.spec.securityContext.seccompProfile.type`,
        message: `seccomp profile ${JSON.stringify(podType)} is not allowed (RuntimeDefault or Localhost)`,
      });
    for (const c of pod.containers) {
      const type = obj(c.sc.seccompProfile).type;
      if (type === undefined || type === null) {
        if (!podOk)
          out.push({
            path: `${c.path}.securityContext.seccompProfile.type`,
            message: `container ${c.name} (or the pod) must set a seccomp profile: RuntimeDefault or Localhost`,
          });
      } else if (typeof type !== 'string' || !SECCOMP_TYPES.has(type))
        out.push({
          path: `${c.path}.securityContext.seccompProfile.type`,
          message: `seccomp profile ${JSON.stringify(type)} is not allowed (RuntimeDefault or Localhost)`,
        });
    }
    return out;
  },
};

const capabilities: Control = {
  title: 'Capabilities (restricted)',
  level: 'restricted',
  replaces: ['Capabilities'],
  check: (pod) =>
    pod.windows
      ? []
      : forContainers(pod, (c) => {
          const caps = obj(c.sc.capabilities);
          const out: Violation[] = [];
          if (!arr(caps.drop).includes('ALL'))
            out.push({
              path: `${c.path}.securityContext.capabilities.drop`,
              message: `container ${c.name} must drop ALL capabilities`,
            });
          arr(caps.add).forEach((cap, i) => {
            if (cap !== 'NET_BIND_SERVICE')
              out.push({
                path: `${c.path}.securityContext.capabilities.add[${i}]`,
                message: `container ${c.name} may add only NET_BIND_SERVICE, not ${JSON.stringify(cap)}`,
              });
          });
          return out;
        }),
};

const procMount: Control = {
  title: '/proc Mount Type (restricted)',
  level: 'restricted',
  replaces: ['/proc Mount Type'],
  check: (pod) => procMountViolations(pod, true),
};

/** The restricted controls, in the order of the Pod Security Standards page. */
export const RESTRICTED_CONTROLS: readonly Control[] = [
  volumeTypes,
  privilegeEscalation,
  runAsNonRoot,
  runAsUser,
  seccomp,
  capabilities,
  procMount,
];
