/**
 * The baseline level of the Kubernetes Pod Security Standards, control by control, as the
 * pod-security-admission library of Kubernetes 1.35 defines it ("latest"): what each refuses and the
 * values it allows. Every container kind (containers, initContainers, ephemeralContainers) is checked.
 */
import type { Control, Violation } from './control';
import { arr, key, obj, str, type ContainerView, type PodView } from './podView';

const forContainers = (pod: PodView, f: (c: ContainerView) => Violation[]): Violation[] => pod.containers.flatMap(f);

/** Capabilities a baseline container may add: the container runtimes' default set. */
export const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);

/** The safe sysctls (namespaced, isolated between pods) of Kubernetes 1.32 and later. */
export const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
  'net.ipv4.tcp_rmem',
  'net.ipv4.tcp_wmem',
]);

const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);
const APPARMOR_TYPES = new Set(['RuntimeDefault', 'Localhost']);
const APPARMOR_ANNOTATION = 'container.apparmor.security.beta.kubernetes.io/';

/** The pod's and each container's securityContext, with their paths. */
function securityContexts(pod: PodView): { path: string; sc: Record<string, unknown> }[] {
  return [
    { path: `${pod.path}.spec.securityContext`, sc: pod.sc },
    ...pod.containers.map((c) => ({ path: `${c.path}.securityContext`, sc: c.sc })),
  ];
}

const hostProcess: Control = {
  title: 'HostProcess',
  level: 'baseline',
  check: (pod) =>
    securityContexts(pod)
      .filter(({ sc }) => obj(sc.windowsOptions).hostProcess === true)
      .map(({ path }) => ({
        path: `${path}.windowsOptions.hostProcess`,
        message: 'Windows HostProcess containers are not allowed',
      })),
};

const hostNamespaces: Control = {
  title: 'Host Namespaces',
  level: 'baseline',
  check: (pod) =>
    (['hostNetwork', 'hostPID', 'hostIPC'] as const)
      .filter((f) => pod.spec[f] === true)
      .map((f) => ({ path: `${pod.path}.spec.${f}`, message: `${f} (sharing the host's namespace) is not allowed` })),
};

const privileged: Control = {
  title: 'Privileged Containers',
  level: 'baseline',
  check: (pod) =>
    forContainers(pod, (c) =>
      c.sc.privileged === true
        ? [{ path: `${c.path}.securityContext.privileged`, message: `container ${c.name} may not be privileged` }]
        : [],
    ),
};

const capabilities: Control = {
  title: 'Capabilities',
  level: 'baseline',
  check: (pod) =>
    forContainers(pod, (c) =>
      arr(obj(c.sc.capabilities).add).flatMap((cap, i) =>
        typeof cap === 'string' && BASELINE_CAPABILITIES.has(cap)
          ? []
          : [
              {
                path: `${c.path}.securityContext.capabilities.add[${i}]`,
                message: `container ${c.name} may not add capability ${JSON.stringify(cap)} (beyond the runtime's default set)`,
              },
            ],
      ),
    ),
};

const hostPathVolumes: Control = {
  title: 'HostPath Volumes',
  level: 'baseline',
  check: (pod) =>
    arr(pod.spec.volumes).flatMap((v, i) =>
      obj(v).hostPath !== undefined && obj(v).hostPath !== null
        ? [{ path: `${pod.path}.spec.volumes[${i}].hostPath`, message: 'hostPath volumes are not allowed' }]
        : [],
    ),
};

const hostPorts: Control = {
  title: 'Host Ports',
  level: 'baseline',
  check: (pod) =>
    forContainers(pod, (c) =>
      arr(c.c.ports).flatMap((p, i) => {
        const port = obj(p).hostPort;
        return port === undefined || port === null || port === 0
          ? []
          : [{ path: `${c.path}.ports[${i}].hostPort`, message: `container ${c.name} may not use a host port` }];
      }),
    ),
};

function handlerHosts(handler: unknown, path: string, what: string): Violation[] {
  const h = obj(handler);
  return (['httpGet', 'tcpSocket'] as const).flatMap((kind) => {
    const host = obj(h[kind]).host;
    return host === undefined || host === null || host === ''
      ? []
      : [{ path: `${path}.${kind}.host`, message: `${what} may not name a host (it would run from the node)` }];
  });
}

const hostProbesAndLifecycle: Control = {
  title: 'Host Probes / Lifecycle Hooks',
  level: 'baseline',
  check: (pod) =>
    forContainers(pod, (c) => [
      ...(['livenessProbe', 'readinessProbe', 'startupProbe'] as const).flatMap((p) =>
        handlerHosts(c.c[p], `${c.path}.${p}`, `the ${p} of container ${c.name}`),
      ),
      ...(['postStart', 'preStop'] as const).flatMap((h) =>
        handlerHosts(obj(c.c.lifecycle)[h], `${c.path}.lifecycle.${h}`, `the ${h} hook of container ${c.name}`),
      ),
    ]),
};

const appArmor: Control = {
  title: 'AppArmor',
  level: 'baseline',
  check: (pod) => [
    ...securityContexts(pod).flatMap(({ path, sc }) => {
      const type = obj(sc.appArmorProfile).type;
      return type === undefined || type === null || APPARMOR_TYPES.has(String(type))
        ? []
        : [
            {
              path: `${path}.appArmorProfile.type`,
              message: `AppArmor profile ${JSON.stringify(type)} is not allowed (RuntimeDefault or Localhost)`,
            },
          ];
    }),
    ...Object.entries(obj(pod.metadata.annotations)).flatMap(([k, v]) => {
      if (!k.startsWith(APPARMOR_ANNOTATION)) return [];
      const value = str(v) ?? '';
      return value === '' || value === 'runtime/default' || value.startsWith('localhost/')
        ? []
        : [
            {
              path: `${pod.path}.metadata.annotations${key(k)}`,
              message: `AppArmor profile ${JSON.stringify(value)} is not allowed (runtime/default or localhost/*)`,
            },
          ];
    }),
  ],
};

const seLinux: Control = {
  title: 'SELinux',
  level: 'baseline',
  check: (pod) =>
    securityContexts(pod).flatMap(({ path, sc }) => {
      const o = obj(sc.seLinuxOptions);
      const out: Violation[] = [];
      if (o.type !== undefined && o.type !== null && !SELINUX_TYPES.has(String(o.type)))
        out.push({
          path: `${path}.seLinuxOptions.type`,
          message: `SELinux type ${JSON.stringify(o.type)} is not allowed`,
        });
      for (const f of ['user', 'role'] as const)
        if (o[f] !== undefined && o[f] !== null && o[f] !== '')
          out.push({ path: `${path}.seLinuxOptions.${f}`, message: `a custom SELinux ${f} is not allowed` });
      return out;
    }),
};

/** Unmasked /proc, unless `unconditional` is false and the pod runs in a user namespace. */
export function procMountViolations(pod: PodView, unconditional: boolean): Violation[] {
  if (!unconditional && pod.userNamespace) return [];
  return forContainers(pod, (c) => {
    const m = c.sc.procMount;
    return m === undefined || m === null || m === 'Default'
      ? []
      : [
          {
            path: `${c.path}.securityContext.procMount`,
            message: `container ${c.name} may not set procMount ${JSON.stringify(m)}`,
          },
        ];
  });
}

const procMount: Control = {
  title: '/proc Mount Type',
  level: 'baseline',
  check: (pod) => procMountViolations(pod, false),
};

const seccomp: Control = {
  title: 'Seccomp',
  level: 'baseline',
  check: (pod) =>
    securityContexts(pod).flatMap(({ path, sc }) =>
      obj(sc.seccompProfile).type === 'Unconfined'
        ? [{ path: `${path}.seccompProfile.type`, message: 'the Unconfined seccomp profile is not allowed' }]
        : [],
    ),
};

const sysctls: Control = {
  title: 'Sysctls',
  level: 'baseline',
  check: (pod) =>
    arr(pod.sc.sysctls).flatMap((s, i) => {
      const name = obj(s).name;
      return typeof name === 'string' && SAFE_SYSCTLS.has(name)
        ? []
        : [
            {
              path: `${pod.path}.spec.securityContext.sysctls[${i}].name`,
              message: `sysctl ${JSON.stringify(name)} is not one of the safe sysctls`,
            },
          ];
    }),
};

/** The baseline controls, in the order of the Pod Security Standards page. */
export const BASELINE_CONTROLS: readonly Control[] = [
  hostProcess,
  hostNamespaces,
  privileged,
  capabilities,
  hostPathVolumes,
  hostPorts,
  hostProbesAndLifecycle,
  appArmor,
  seLinux,
  procMount,
  seccomp,
  sysctls,
];
