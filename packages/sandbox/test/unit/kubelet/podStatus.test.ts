import type { ContainerStatus, Pod } from 'kubernetes-types/core/v1';
import { computePodStatus, podPhase, qosClass, sameStatus } from '../../../src/kubelet/podStatus';

const running = (name: string, ready: boolean): ContainerStatus => ({
  name,
  ready,
  restartCount: 0,
  image: 'x',
  imageID: '',
  started: true,
  state: { running: { startedAt: '2024-01-01T00:00:00Z' } },
  lastState: {},
});
const waiting = (name: string, reason: string, restarted = false): ContainerStatus => ({
  name,
  ready: false,
  restartCount: restarted ? 1 : 0,
  image: 'x',
  imageID: '',
  state: { waiting: { reason } },
  lastState: restarted ? { terminated: { exitCode: 1 } } : {},
});
const exited = (name: string, exitCode: number): ContainerStatus => ({
  name,
  ready: false,
  restartCount: 0,
  image: 'x',
  imageID: '',
  state: { terminated: { exitCode } },
  lastState: {},
});

describe('podPhase', () => {
  it.each([
    ['Always', 'creating', 'Pending', [waiting('a', 'ContainerCreating')]],
    ['Always', 'pull failing', 'Pending', [waiting('a', 'ErrImagePull')]],
    ['Always', 'running unready', 'Running', [running('a', false)]],
    ['Always', 'crash-looping', 'Running', [waiting('a', 'CrashLoopBackOff', true)]],
    ['Always', 'one running, one creating', 'Pending', [running('a', true), waiting('b', 'ContainerCreating')]],
    ['Never', 'exited 0', 'Succeeded', [exited('a', 0)]],
    ['Never', 'exited 0 and 2', 'Failed', [exited('a', 0), exited('b', 2)]],
    ['Never', 'one exited, one running', 'Running', [exited('a', 0), running('b', true)]],
    ['OnFailure', 'exited 0', 'Succeeded', [exited('a', 0)]],
    ['OnFailure', 'one done, one crash-looping', 'Running', [exited('a', 0), waiting('b', 'CrashLoopBackOff', true)]],
  ] as const)('restartPolicy %s, %s → %s', (policy, _label, phase, statuses) => {
    expect(podPhase(policy, [...statuses])).toBe(phase);
  });

  it('never leaves a terminal phase', () => {
    expect(podPhase('Always', [running('a', true)], 'Succeeded')).toBe('Succeeded');
  });
});

describe('computePodStatus', () => {
  const pod = (conditions: NonNullable<Pod['status']>['conditions'] = []): Pod => ({
    metadata: { name: 'p' },
    spec: { containers: [{ name: 'a' }, { name: 'b' }] },
    status: { phase: 'Running', conditions },
  });

  it('orders conditions as a cluster does and keeps the scheduler’s', () => {
    const s = computePodStatus(
      pod([{ type: 'PodScheduled', status: 'True', lastTransitionTime: 'T0' }]),
      {
        podIP: '127.1.0.5',
        hostIP: '127.0.0.1',
        startTime: 'T1',
        sandboxReady: true,
        containerStatuses: [running('a', true), running('b', false)],
      },
      'T2',
    );
    expect(s.conditions?.map((c) => [c.type, c.status])).toEqual([
      ['PodReadyToStartContainers', 'True'],
      ['Initialized', 'True'],
      ['Ready', 'False'],
      ['ContainersReady', 'False'],
      ['PodScheduled', 'True'],
    ]);
    expect(s.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      reason: 'ContainersNotReady',
      message: 'containers with unready status: [b]',
    });
    expect(s).toMatchObject({
      phase: 'Running',
      podIP: '127.1.0.5',
      podIPs: [{ ip: '127.1.0.5' }],
      hostIPs: [{ ip: '127.0.0.1' }],
      startTime: 'T1',
      qosClass: 'BestEffort',
    });
  });

  it('moves lastTransitionTime only when a condition changes status', () => {
    const runtime = {
      hostIP: '127.0.0.1',
      sandboxReady: true,
      containerStatuses: [running('a', true), running('b', true)],
    };
    const first = computePodStatus(pod(), runtime, 'T1');
    const again = computePodStatus({ ...pod(), status: first }, runtime, 'T2');
    expect(again.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime).toBe('T1');
    const flipped = computePodStatus(
      { ...pod(), status: again },
      { ...runtime, containerStatuses: [running('a', true), running('b', false)] },
      'T3',
    );
    expect(flipped.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime).toBe('T3');
    expect(flipped.conditions?.find((c) => c.type === 'Initialized')?.lastTransitionTime).toBe('T1');
  });

  it('waits for readiness gates', () => {
    const p: Pod = {
      ...pod(),
      spec: { containers: [{ name: 'a' }], readinessGates: [{ conditionType: 'example.com/lb' }] },
    };
    const s = computePodStatus(
      p,
      { hostIP: '127.0.0.1', sandboxReady: true, containerStatuses: [running('a', true)] },
      'T',
    );
    expect(s.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ReadinessGatesNotReady',
    });
    expect(s.conditions?.find((c) => c.type === 'ContainersReady')?.status).toBe('True');
  });
});

describe('qosClass', () => {
  it('classifies as Kubernetes does', () => {
    expect(qosClass([{ name: 'a' }])).toBe('BestEffort');
    expect(qosClass([{ name: 'a', resources: { requests: { cpu: '100m' } } }])).toBe('Burstable');
    expect(qosClass([{ name: 'a', resources: { limits: { cpu: '1', memory: '1Gi' } } }])).toBe('Guaranteed');
  });
});

describe('sameStatus', () => {
  it('ignores key order and undefined fields', () => {
    expect(sameStatus({ a: 1, b: { c: 2, d: undefined } }, { b: { c: 2 }, a: 1 })).toBe(true);
    expect(sameStatus({ a: 1 }, { a: 2 })).toBe(false);
  });
});
