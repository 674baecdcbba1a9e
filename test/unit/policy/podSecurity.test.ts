/**
 * The Pod Security Standards, control by control: for each, a template the level allows and the ones it
 * refuses, with the field path named; then the levels (restricted replaces the baseline controls it
 * tightens) and the operator's pod policy (per namespace, service accounts).
 */
import { checkPodSecurity, controlsOf, type PodSecurityLevel } from '../../../src/policy/podSecurity';
import { PodPolicy } from '../../../src/policy/podPolicy';
import { podPolicyConfigSchema } from '../../../src/policy/podPolicy';

type Json = Record<string, unknown>;

/** A template: one container `app` with `container` merged in, and `spec` merged into the pod spec. */
function pod(spec: Json = {}, container: Json = {}, metadata: Json = {}): Json {
  return { metadata, spec: { containers: [{ name: 'app', image: 'x', ...container }], ...spec } };
}

/** What `level` refuses in `t`: the paths. */
function refused(t: Json, level: PodSecurityLevel = 'baseline'): string[] {
  return checkPodSecurity(t, level, 'spec.template').map((v) => v.path);
}

const C = 'spec.template.spec.containers[0]';

/** A pod that meets restricted: what every restricted test starts from. */
const RESTRICTED_OK = {
  securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
};
const RESTRICTED_CONTAINER = {
  securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
};

describe('Pod Security Standards: baseline controls', () => {
  it('allows the default (minimally specified) pod', () => {
    expect(refused(pod())).toEqual([]);
  });

  it('HostProcess: windowsOptions.hostProcess true (pod or container) is refused', () => {
    expect(refused(pod({ securityContext: { windowsOptions: { hostProcess: true } } }))).toEqual([
      'spec.template.spec.securityContext.windowsOptions.hostProcess',
    ]);
    expect(refused(pod({}, { securityContext: { windowsOptions: { hostProcess: true } } }))).toEqual([
      `${C}.securityContext.windowsOptions.hostProcess`,
    ]);
    expect(refused(pod({ securityContext: { windowsOptions: { hostProcess: false } } }))).toEqual([]);
  });

  it('Host Namespaces: hostNetwork, hostPID, hostIPC true are refused; false is allowed', () => {
    expect(refused(pod({ hostNetwork: true, hostPID: true, hostIPC: true }))).toEqual([
      'spec.template.spec.hostNetwork',
      'spec.template.spec.hostPID',
      'spec.template.spec.hostIPC',
    ]);
    expect(refused(pod({ hostNetwork: false, hostPID: false, hostIPC: false }))).toEqual([]);
  });

  it('Privileged Containers: privileged true is refused, in init and ephemeral containers too', () => {
    expect(refused(pod({}, { securityContext: { privileged: true } }))).toEqual([`${C}.securityContext.privileged`]);
    expect(
      refused(
        pod({
          initContainers: [{ name: 'init', image: 'x', securityContext: { privileged: true } }],
          ephemeralContainers: [{ name: 'dbg', image: 'x', securityContext: { privileged: true } }],
        }),
      ),
    ).toEqual([
      'spec.template.spec.initContainers[0].securityContext.privileged',
      'spec.template.spec.ephemeralContainers[0].securityContext.privileged',
    ]);
    expect(refused(pod({}, { securityContext: { privileged: false } }))).toEqual([]);
  });

  it('Capabilities: only the default set may be added', () => {
    expect(
      refused(pod({}, { securityContext: { capabilities: { add: ['NET_BIND_SERVICE', 'CHOWN', 'SYS_CHROOT'] } } })),
    ).toEqual([]);
    expect(
      refused(pod({}, { securityContext: { capabilities: { add: ['CHOWN', 'SYS_ADMIN', 'NET_RAW', 'CAP_CHOWN'] } } })),
    ).toEqual([
      `${C}.securityContext.capabilities.add[1]`,
      `${C}.securityContext.capabilities.add[2]`,
      `${C}.securityContext.capabilities.add[3]`,
    ]);
    expect(refused(pod({}, { securityContext: { capabilities: { drop: ['ALL'] } } }))).toEqual([]);
  });

  it('HostPath Volumes: a hostPath volume is refused', () => {
    expect(
      refused(
        pod({
          volumes: [
            { name: 'ok', emptyDir: {} },
            { name: 'root', hostPath: { path: '/' } },
          ],
        }),
      ),
    ).toEqual(['spec.template.spec.volumes[1].hostPath']);
  });

  it('Host Ports: a non-zero hostPort is refused; 0 or none is allowed', () => {
    expect(refused(pod({}, { ports: [{ containerPort: 80 }, { containerPort: 81, hostPort: 0 }] }))).toEqual([]);
    expect(refused(pod({}, { ports: [{ containerPort: 80, hostPort: 8080 }] }))).toEqual([`${C}.ports[0].hostPort`]);
  });

  it('Host Probes / Lifecycle Hooks: a host in a probe or hook is refused; "" is allowed', () => {
    expect(
      refused(
        pod(
          {},
          {
            livenessProbe: { httpGet: { port: 80, host: '10.0.0.1' } },
            readinessProbe: { tcpSocket: { port: 80, host: 'kubernetes.default' } },
            startupProbe: { httpGet: { port: 80, host: '' } },
            lifecycle: {
              postStart: { httpGet: { port: 80, host: '169.254.169.254' } },
              preStop: { tcpSocket: { port: 1, host: 'x' } },
            },
          },
        ),
      ),
    ).toEqual([
      `${C}.livenessProbe.httpGet.host`,
      `${C}.readinessProbe.tcpSocket.host`,
      `${C}.lifecycle.postStart.httpGet.host`,
      `${C}.lifecycle.preStop.tcpSocket.host`,
    ]);
  });

  it('AppArmor: Unconfined is refused (field or annotation); RuntimeDefault and Localhost are allowed', () => {
    expect(refused(pod({ securityContext: { appArmorProfile: { type: 'Unconfined' } } }))).toEqual([
      'spec.template.spec.securityContext.appArmorProfile.type',
    ]);
    expect(
      refused(pod({}, { securityContext: { appArmorProfile: { type: 'Localhost', localhostProfile: 'p' } } })),
    ).toEqual([]);
    expect(
      refused(
        pod(
          {},
          {},
          {
            annotations: {
              'container.apparmor.security.beta.kubernetes.io/app': 'unconfined',
              'container.apparmor.security.beta.kubernetes.io/b': 'runtime/default',
              'container.apparmor.security.beta.kubernetes.io/c': 'localhost/mine',
            },
          },
        ),
      ),
    ).toEqual(['spec.template.metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"]']);
  });

  it('SELinux: only container types, and no user or role', () => {
    expect(refused(pod({ securityContext: { seLinuxOptions: { type: 'container_t', level: 's0:c1' } } }))).toEqual([]);
    expect(refused(pod({ securityContext: { seLinuxOptions: { type: 'spc_t' } } }))).toEqual([
      'spec.template.spec.securityContext.seLinuxOptions.type',
    ]);
    expect(refused(pod({}, { securityContext: { seLinuxOptions: { user: 'system_u', role: 'system_r' } } }))).toEqual([
      `${C}.securityContext.seLinuxOptions.user`,
      `${C}.securityContext.seLinuxOptions.role`,
    ]);
  });

  it('/proc Mount Type: Unmasked is refused, unless the pod runs in a user namespace', () => {
    expect(refused(pod({}, { securityContext: { procMount: 'Unmasked' } }))).toEqual([
      `${C}.securityContext.procMount`,
    ]);
    expect(refused(pod({}, { securityContext: { procMount: 'Default' } }))).toEqual([]);
    expect(refused(pod({ hostUsers: false }, { securityContext: { procMount: 'Unmasked' } }))).toEqual([]);
  });

  it('Seccomp: Unconfined is refused (pod or container); RuntimeDefault and Localhost are allowed', () => {
    expect(refused(pod({ securityContext: { seccompProfile: { type: 'Unconfined' } } }))).toEqual([
      'spec.template.spec.securityContext.seccompProfile.type',
    ]);
    expect(refused(pod({}, { securityContext: { seccompProfile: { type: 'Unconfined' } } }))).toEqual([
      `${C}.securityContext.seccompProfile.type`,
    ]);
    expect(refused(pod({ securityContext: { seccompProfile: { type: 'RuntimeDefault' } } }))).toEqual([]);
  });

  it('Sysctls: only the safe ones', () => {
    expect(
      refused(
        pod({
          securityContext: {
            sysctls: [
              { name: 'net.ipv4.ip_local_port_range', value: '1 2' },
              { name: 'kernel.msgmax', value: '1' },
            ],
          },
        }),
      ),
    ).toEqual(['spec.template.spec.securityContext.sysctls[1].name']);
  });

  it('names every control of the page, in its order', () => {
    expect(controlsOf('baseline').map((c) => c.title)).toEqual([
      'HostProcess',
      'Host Namespaces',
      'Privileged Containers',
      'Capabilities',
      'HostPath Volumes',
      'Host Ports',
      'Host Probes / Lifecycle Hooks',
      'AppArmor',
      'SELinux',
      '/proc Mount Type',
      'Seccomp',
      'Sysctls',
    ]);
    expect(controlsOf('privileged')).toEqual([]);
  });
});

describe('Pod Security Standards: restricted controls', () => {
  const ok = (spec: Json = {}, container: Json = {}) =>
    pod(
      { ...RESTRICTED_OK, ...spec },
      {
        ...RESTRICTED_CONTAINER,
        ...container,
        securityContext: { ...RESTRICTED_CONTAINER.securityContext, ...(container.securityContext as Json) },
      },
    );

  it('allows a hardened pod, and refuses the default one on each restricted control', () => {
    expect(refused(ok(), 'restricted')).toEqual([]);
    expect(refused(pod(), 'restricted')).toEqual([
      `${C}.securityContext.allowPrivilegeEscalation`,
      `${C}.securityContext.runAsNonRoot`,
      `${C}.securityContext.seccompProfile.type`,
      `${C}.securityContext.capabilities.drop`,
    ]);
  });

  it('Volume Types: only the core inline sources (a volume with none is an emptyDir)', () => {
    const volumes = [
      { name: 'a', configMap: { name: 'c' } },
      { name: 'b', secret: { secretName: 's' } },
      { name: 'c' },
      { name: 'd', nfs: { server: 'n', path: '/' } },
      { name: 'e', hostPath: { path: '/' } },
      { name: 'f', gitRepo: { repository: 'r' } },
    ];
    expect(refused(ok({ volumes }), 'restricted')).toEqual([
      'spec.template.spec.volumes[3].nfs',
      'spec.template.spec.volumes[4].hostPath',
      'spec.template.spec.volumes[5].gitRepo',
    ]);
  });

  it('Privilege Escalation: allowPrivilegeEscalation must be false (not for Windows pods)', () => {
    expect(refused(ok({}, { securityContext: { allowPrivilegeEscalation: true } }), 'restricted')).toEqual([
      `${C}.securityContext.allowPrivilegeEscalation`,
    ]);
    expect(
      refused(ok({ os: { name: 'windows' } }, { securityContext: { allowPrivilegeEscalation: true } }), 'restricted'),
    ).toEqual([]);
  });

  it('Running as Non-root: pod or every container sets runAsNonRoot true; false anywhere is refused', () => {
    expect(
      refused(
        ok(
          { securityContext: { seccompProfile: { type: 'RuntimeDefault' } } },
          { securityContext: { runAsNonRoot: true } },
        ),
        'restricted',
      ),
    ).toEqual([]);
    expect(refused(ok({}, { securityContext: { runAsNonRoot: false } }), 'restricted')).toEqual([
      `${C}.securityContext.runAsNonRoot`,
    ]);
    expect(
      refused(ok({ securityContext: { ...RESTRICTED_OK.securityContext, runAsNonRoot: false } }), 'restricted'),
    ).toEqual(['spec.template.spec.securityContext.runAsNonRoot', `${C}.securityContext.runAsNonRoot`]);
    expect(
      refused(ok({ hostUsers: false, securityContext: { seccompProfile: { type: 'RuntimeDefault' } } }), 'restricted'),
    ).toEqual([]);
  });

  it('Running as Non-root user: runAsUser 0 is refused (pod or container), unless in a user namespace', () => {
    expect(refused(ok({}, { securityContext: { runAsUser: 0 } }), 'restricted')).toEqual([
      `${C}.securityContext.runAsUser`,
    ]);
    expect(refused(ok({ securityContext: { ...RESTRICTED_OK.securityContext, runAsUser: 0 } }), 'restricted')).toEqual([
      'spec.template.spec.securityContext.runAsUser',
    ]);
    expect(refused(ok({}, { securityContext: { runAsUser: 1000 } }), 'restricted')).toEqual([]);
    expect(refused(ok({ hostUsers: false }, { securityContext: { runAsUser: 0 } }), 'restricted')).toEqual([]);
  });

  it('Seccomp: RuntimeDefault or Localhost at the pod or on every container; baseline only refused Unconfined', () => {
    const noPodProfile = { securityContext: { runAsNonRoot: true } };
    expect(
      refused(
        ok(noPodProfile, { securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'p' } } }),
        'restricted',
      ),
    ).toEqual([]);
    expect(refused(ok(noPodProfile), 'restricted')).toEqual([`${C}.securityContext.seccompProfile.type`]);
    expect(refused(ok({}, { securityContext: { seccompProfile: { type: 'Unconfined' } } }), 'restricted')).toEqual([
      `${C}.securityContext.seccompProfile.type`,
    ]);
    expect(refused(ok({ os: { name: 'windows' }, ...noPodProfile }), 'restricted')).toEqual([]);
  });

  it('Capabilities: drop ALL, add at most NET_BIND_SERVICE', () => {
    expect(
      refused(
        ok({}, { securityContext: { capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } } }),
        'restricted',
      ),
    ).toEqual([]);
    expect(
      refused(ok({}, { securityContext: { capabilities: { drop: ['NET_RAW'], add: ['CHOWN'] } } }), 'restricted'),
    ).toEqual([`${C}.securityContext.capabilities.drop`, `${C}.securityContext.capabilities.add[0]`]);
  });

  it('/proc Mount Type: Unmasked is refused even in a user namespace', () => {
    expect(refused(ok({ hostUsers: false }, { securityContext: { procMount: 'Unmasked' } }), 'restricted')).toEqual([
      `${C}.securityContext.procMount`,
    ]);
  });

  it('applies every baseline control it does not replace', () => {
    const titles = controlsOf('restricted').map((c) => c.title);
    expect(titles).not.toContain('HostPath Volumes');
    expect(titles).not.toContain('Seccomp');
    expect(titles).toContain('Host Namespaces');
    expect(refused(ok({ hostNetwork: true }), 'restricted')).toEqual(['spec.template.spec.hostNetwork']);
  });

  it('says which control and level refused a field', () => {
    expect(checkPodSecurity(pod({ hostPID: true }), 'baseline', 'spec.template')).toEqual([
      {
        path: 'spec.template.spec.hostPID',
        message:
          "hostPID (sharing the host's namespace) is not allowed (Pod Security Standards, baseline: Host Namespaces)",
      },
    ]);
  });
});

describe("the operator's pod policy", () => {
  const root = pod({ hostPID: true, serviceAccountName: 'deployer' }, { securityContext: { privileged: true } });

  it('is baseline everywhere by default and allows only the default service account', () => {
    const p = new PodPolicy();
    expect(p.check('team-a', root, 'spec.template').map((x) => x.path)).toEqual([
      'spec.template.spec.serviceAccountName',
      'spec.template.spec.hostPID',
      `${C}.securityContext.privileged`,
    ]);
    expect(p.check('team-a', pod({ serviceAccountName: 'default' }), 'spec.template')).toEqual([]);
    expect(p.check('team-a', pod({ serviceAccount: 'deployer' }), 'spec.template').map((x) => x.path)).toEqual([
      'spec.template.spec.serviceAccount',
    ]);
  });

  it('takes a level and service accounts per namespace, the default level from the flag unless the file says', () => {
    const p = new PodPolicy({
      namespaces: { infra: { level: 'privileged', serviceAccounts: ['deployer'] }, secure: { level: 'restricted' } },
    });
    expect(p.check('infra', root, 'spec.template')).toEqual([]);
    expect(p.ruleFor('secure').level).toBe('restricted');
    expect(p.ruleFor('team-a')).toEqual({ level: 'baseline', serviceAccounts: [] });
    expect(new PodPolicy({}, 'restricted').ruleFor('team-a').level).toBe('restricted');
    expect(new PodPolicy({ level: 'privileged', serviceAccounts: ['ci'] }, 'restricted').ruleFor('x')).toEqual({
      level: 'privileged',
      serviceAccounts: ['ci'],
    });
    expect(p.ruleFor('constructor').level).toBe('baseline');
  });

  it('refuses a policy file with an unknown level or field', () => {
    expect(podPolicyConfigSchema.safeParse({ level: 'lax' }).success).toBe(false);
    expect(podPolicyConfigSchema.safeParse({ namespaces: { a: { levle: 'baseline' } } }).success).toBe(false);
  });
});
