import fc from 'fast-check';
import type { KubeObject } from '../../../src/apiServer/types';
import { podTargets, sanitizeLabelName } from '../../../src/prometheus/podTargets';

interface PodShape {
  name?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  containers?: { name: string; ports?: { containerPort: number; protocol?: string; name?: string }[] }[];
  phase?: string;
  podIP?: string;
  deleting?: boolean;
}

function pod(p: PodShape = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: p.name ?? 'web-abc',
      namespace: 'shop',
      labels: p.labels ?? { app: 'web' },
      annotations: p.annotations,
      ...(p.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z', deletionGracePeriodSeconds: 30 } : {}),
    },
    spec: {
      nodeName: 'node-1',
      containers: p.containers ?? [{ name: 'app', image: 'x', ports: [{ containerPort: 8080 }] }],
    },
    status: { phase: p.phase ?? 'Running', podIP: p.podIP ?? '127.1.0.5' },
  };
}

describe('sanitizeLabelName', () => {
  it.each([
    ['ramp.dev/revision', 'ramp_dev_revision'],
    ['app.kubernetes.io/name', 'app_kubernetes_io_name'],
    ['pod-template-hash', 'pod_template_hash'],
    ['app', 'app'],
    ['9lives', '_9lives'],
  ])('%s → %s', (key, want) => expect(sanitizeLabelName(key)).toBe(want));

  it('always yields a valid Prometheus label name', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (key) => /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(sanitizeLabelName(key))),
      { seed: 42 },
    );
  });
});

describe('podTargets', () => {
  it('labels a running pod as a cluster Prometheus would', () => {
    const groups = podTargets([
      pod({
        labels: {
          app: 'web',
          'ramp.dev/revision': 'r2',
          'app.kubernetes.io/name': 'shop',
          'pod-template-hash': '5d8f',
        },
      }),
    ]);
    expect(groups).toEqual([
      {
        targets: ['127.1.0.5:8080'],
        labels: {
          app: 'web',
          ramp_dev_revision: 'r2',
          app_kubernetes_io_name: 'shop',
          pod_template_hash: '5d8f',
          namespace: 'shop',
          pod: 'web-abc',
          container: 'app',
          node: 'node-1',
          __metrics_path__: '/metrics',
        },
      },
    ]);
  });

  it('keeps namespace and pod when a pod label has the same name', () => {
    const [g] = podTargets([pod({ labels: { namespace: 'spoof', pod: 'spoof' } })]);
    expect(g.labels.namespace).toBe('shop');
    expect(g.labels.pod).toBe('web-abc');
  });

  it('takes the metrics path and scheme from annotations', () => {
    const [g] = podTargets([pod({ annotations: { 'prometheus.io/path': '/stats', 'prometheus.io/scheme': 'https' } })]);
    expect(g.labels.__metrics_path__).toBe('/stats');
    expect(g.labels.__scheme__).toBe('https');
  });

  it('scrapes the annotated port once, labelled with the container that declares it', () => {
    const groups = podTargets([
      pod({
        annotations: { 'prometheus.io/port': '9100' },
        containers: [
          { name: 'app', ports: [{ containerPort: 8080 }] },
          { name: 'exporter', ports: [{ containerPort: 9100 }] },
        ],
      }),
    ]);
    expect(groups.map((g) => [g.targets[0], g.labels.container])).toEqual([['127.1.0.5:9100', 'exporter']]);
  });

  it('falls back to container ports when the port annotation is not a port', () => {
    const groups = podTargets([pod({ annotations: { 'prometheus.io/port': 'http' } })]);
    expect(groups.map((g) => g.targets[0])).toEqual(['127.1.0.5:8080']);
  });

  it("scrapes each container's first TCP port, skipping UDP ports and containers without ports", () => {
    const groups = podTargets([
      pod({
        containers: [
          {
            name: 'app',
            ports: [{ containerPort: 53, protocol: 'UDP' }, { containerPort: 8080 }, { containerPort: 8081 }],
          },
          { name: 'sidecar', ports: [{ containerPort: 9000, protocol: 'TCP' }] },
          { name: 'quiet' },
        ],
      }),
    ]);
    expect(groups.map((g) => [g.targets[0], g.labels.container])).toEqual([
      ['127.1.0.5:8080', 'app'],
      ['127.1.0.5:9000', 'sidecar'],
    ]);
  });

  it('leaves out pods that opted out, are not running, have no IP or are being deleted', () => {
    const groups = podTargets([
      pod({ name: 'opted-out', annotations: { 'prometheus.io/scrape': 'false' } }),
      pod({ name: 'pending', phase: 'Pending' }),
      pod({ name: 'failed', phase: 'Failed' }),
      pod({ name: 'no-ip', podIP: '' }),
      pod({ name: 'deleting', deleting: true }),
      pod({ name: 'kept' }),
    ]);
    expect(groups.map((g) => g.labels.pod)).toEqual(['kept']);
  });

  it('brackets IPv6 pod IPs', () => {
    expect(podTargets([pod({ podIP: 'fd00::5' })])[0].targets).toEqual(['[fd00::5]:8080']);
  });

  it('gives every target valid label names and one group per target (property)', () => {
    const labelKey = fc.stringMatching(/^[a-z0-9]([a-z0-9.-]{0,20}\/)?[a-zA-Z0-9]([-a-zA-Z0-9_.]{0,20}[a-zA-Z0-9])?$/);
    const arbPod = fc.record({
      labels: fc.dictionary(labelKey, fc.string({ maxLength: 8 }), { maxKeys: 5 }),
      phase: fc.constantFrom('Running', 'Pending', 'Succeeded'),
      ports: fc.array(fc.integer({ min: 1, max: 65535 }), { maxLength: 3 }),
    });
    fc.assert(
      fc.property(fc.array(arbPod, { maxLength: 6 }), (shapes) => {
        const pods = shapes.map((s, i) =>
          pod({
            name: `p${i}`,
            labels: s.labels,
            phase: s.phase,
            containers: [{ name: 'c', ports: s.ports.map((containerPort) => ({ containerPort })) }],
          }),
        );
        const groups = podTargets(pods);
        const expected = shapes.filter((s) => s.phase === 'Running' && s.ports.length > 0).length;
        return (
          groups.length === expected &&
          groups.every(
            (g) => g.targets.length === 1 && Object.keys(g.labels).every((k) => /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(k)),
          )
        );
      }),
      { seed: 7, numRuns: 200 },
    );
  });
});
