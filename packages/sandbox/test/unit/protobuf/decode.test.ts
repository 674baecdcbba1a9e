import { decodeKubeProtobuf, isKubeProtobuf } from '../../../src/apiServer/protobuf/decode';
import { kubeProtoRoot } from '../../../src/apiServer/protobuf/kubeProtos';
import { StatusError } from '../../../src/apiServer/statusError';
import { encodeKube, envelope, goMeta, int, str } from './encode';

function decodeError(body: Buffer): StatusError {
  try {
    decodeKubeProtobuf(body);
  } catch (e) {
    if (e instanceof StatusError) return e;
    throw e;
  }
  throw new Error('the body decoded');
}

describe('decodeKubeProtobuf: objects as Go clients write them', () => {
  test('a Service: targetPort as int and as string, zero-valued non-pointer fields (clusterIP "") omitted', () => {
    const body = encodeKube('v1', 'Service', 'k8s.io.api.core.v1.Service', {
      metadata: goMeta({ name: 'web', namespace: 'p', labels: { app: 'web' } }),
      spec: {
        ports: [
          { name: 'http', protocol: 'TCP', port: 80, targetPort: int(8080), nodePort: 0 },
          { name: 'metrics', protocol: 'TCP', port: 9090, targetPort: str('metrics'), nodePort: 0 },
        ],
        selector: { app: 'web' },
        clusterIP: '',
        type: 'ClusterIP',
        sessionAffinity: '',
        loadBalancerIP: '',
        externalName: '',
        externalTrafficPolicy: '',
        healthCheckNodePort: 0,
        publishNotReadyAddresses: false,
      },
      status: { loadBalancer: {} },
    });
    expect(decodeKubeProtobuf(body)).toStrictEqual({
      apiVersion: 'v1',
      kind: 'Service',
      object: {
        kind: 'Service',
        apiVersion: 'v1',
        metadata: { name: 'web', namespace: 'p', creationTimestamp: null, labels: { app: 'web' } },
        spec: {
          ports: [
            { name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 },
            { name: 'metrics', protocol: 'TCP', port: 9090, targetPort: 'metrics' },
          ],
          selector: { app: 'web' },
          type: 'ClusterIP',
        },
        status: { loadBalancer: {} },
      },
    });
  });

  test('a Namespace', () => {
    const body = encodeKube('v1', 'Namespace', 'k8s.io.api.core.v1.Namespace', {
      metadata: goMeta({ name: 'p', labels: { team: 'a' } }),
      spec: {},
      status: { phase: '' },
    });
    expect(decodeKubeProtobuf(body).object).toStrictEqual({
      kind: 'Namespace',
      apiVersion: 'v1',
      metadata: { name: 'p', creationTimestamp: null, labels: { team: 'a' } },
      spec: {},
      status: {},
    });
  });

  test('a Deployment: pointer zeros kept (replicas 0, maxUnavailable 0, revisionHistoryLimit 0, runAsUser 0, …), the rest dropped', () => {
    const body = encodeKube('apps/v1', 'Deployment', 'k8s.io.api.apps.v1.Deployment', {
      metadata: goMeta({ name: 'web', namespace: 'p', generation: 0 }),
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: goMeta({ labels: { app: 'web' } }),
          spec: {
            containers: [
              {
                name: 'app',
                image: 'ramp.dev/demo-app:v1',
                workingDir: '',
                ports: [{ name: 'http', hostPort: 0, containerPort: 8080, protocol: 'TCP', hostIP: '' }],
                resources: { limits: { cpu: { string: '500m' } }, requests: { memory: { string: '64Mi' } } },
                readinessProbe: {
                  handler: { httpGet: { path: '/healthz', port: str('http'), host: '', scheme: 'HTTP' } },
                  initialDelaySeconds: 0,
                  timeoutSeconds: 1,
                  periodSeconds: 5,
                  successThreshold: 0,
                  failureThreshold: 0,
                },
                terminationMessagePath: '',
                imagePullPolicy: '',
                stdin: false,
                stdinOnce: false,
                tty: false,
              },
            ],
            volumes: [
              {
                name: 'cfg',
                volumeSource: { configMap: { localObjectReference: { name: 'c' }, defaultMode: 420, optional: false } },
              },
            ],
            restartPolicy: '',
            terminationGracePeriodSeconds: 0,
            dnsPolicy: '',
            serviceAccountName: '',
            automountServiceAccountToken: false,
            nodeName: '',
            hostNetwork: false,
            securityContext: { runAsUser: 0, runAsNonRoot: false },
            schedulerName: '',
          },
        },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: int(0), maxSurge: str('25%') } },
        minReadySeconds: 0,
        revisionHistoryLimit: 0,
        paused: false,
      },
      status: {
        observedGeneration: 0,
        replicas: 0,
        updatedReplicas: 0,
        readyReplicas: 0,
        availableReplicas: 0,
        unavailableReplicas: 0,
      },
    });
    expect(decodeKubeProtobuf(body).object).toStrictEqual({
      kind: 'Deployment',
      apiVersion: 'apps/v1',
      metadata: { name: 'web', namespace: 'p', creationTimestamp: null },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { creationTimestamp: null, labels: { app: 'web' } },
          spec: {
            containers: [
              {
                name: 'app',
                image: 'ramp.dev/demo-app:v1',
                ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
                resources: { limits: { cpu: '500m' }, requests: { memory: '64Mi' } },
                readinessProbe: {
                  httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP' },
                  timeoutSeconds: 1,
                  periodSeconds: 5,
                },
              },
            ],
            volumes: [{ name: 'cfg', configMap: { name: 'c', defaultMode: 420, optional: false } }],
            terminationGracePeriodSeconds: 0,
            automountServiceAccountToken: false,
            securityContext: { runAsUser: 0, runAsNonRoot: false },
          },
        },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } },
        revisionHistoryLimit: 0,
      },
      status: {},
    });
  });

  test('a ConfigMap: string data, binary data as base64, immutable: false kept', () => {
    const body = encodeKube('v1', 'ConfigMap', 'k8s.io.api.core.v1.ConfigMap', {
      metadata: goMeta({ name: 'c', namespace: 'p', annotations: { note: '' } }),
      data: { k: 'v', empty: '' },
      binaryData: { bin: Buffer.from([0, 1, 2, 255]) },
      immutable: false,
    });
    expect(decodeKubeProtobuf(body).object).toStrictEqual({
      kind: 'ConfigMap',
      apiVersion: 'v1',
      metadata: { name: 'c', namespace: 'p', creationTimestamp: null, annotations: { note: '' } },
      data: { empty: '', k: 'v' },
      binaryData: { bin: 'AAEC/w==' },
      immutable: false,
    });
  });

  test('a Secret: bytes data as base64 strings, type kept', () => {
    const body = encodeKube('v1', 'Secret', 'k8s.io.api.core.v1.Secret', {
      metadata: goMeta({ name: 's', namespace: 'p' }),
      data: { a: Buffer.from('b'), key: Buffer.from('pa55\nword') },
      type: 'Opaque',
    });
    expect(decodeKubeProtobuf(body).object).toStrictEqual({
      kind: 'Secret',
      apiVersion: 'v1',
      metadata: { name: 's', namespace: 'p', creationTimestamp: null },
      data: { a: 'Yg==', key: Buffer.from('pa55\nword').toString('base64') },
      type: 'Opaque',
    });
  });

  test('DeleteOptions (a meta/v1 kind under any group-version): gracePeriodSeconds 0 and the policy kept', () => {
    for (const apiVersion of ['v1', 'apps/v1', 'meta.k8s.io/v1']) {
      const body = encodeKube(apiVersion, 'DeleteOptions', 'k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions', {
        gracePeriodSeconds: 0,
        propagationPolicy: 'Foreground',
        dryRun: [],
      });
      expect(decodeKubeProtobuf(body)).toStrictEqual({
        apiVersion,
        kind: 'DeleteOptions',
        object: { kind: 'DeleteOptions', apiVersion, gracePeriodSeconds: 0, propagationPolicy: 'Foreground' },
      });
    }
  });

  test('an EndpointSlice: conditions false/true kept, a nil non-omitempty list written as null', () => {
    const body = encodeKube('discovery.k8s.io/v1', 'EndpointSlice', 'k8s.io.api.discovery.v1.EndpointSlice', {
      metadata: goMeta({ name: 'web-abc', namespace: 'p' }),
      addressType: 'IPv4',
      endpoints: [
        {
          addresses: ['127.0.0.2'],
          conditions: { ready: false, serving: true, terminating: false },
          nodeName: 'sandbox',
        },
      ],
    });
    expect(decodeKubeProtobuf(body).object).toStrictEqual({
      kind: 'EndpointSlice',
      apiVersion: 'discovery.k8s.io/v1',
      metadata: { name: 'web-abc', namespace: 'p', creationTimestamp: null },
      addressType: 'IPv4',
      endpoints: [
        {
          addresses: ['127.0.0.2'],
          conditions: { ready: false, serving: true, terminating: false },
          nodeName: 'sandbox',
        },
      ],
      ports: null,
    });
  });

  test('times: Time in whole seconds (Go ignores nanos), MicroTime with microseconds, FieldsV1 as JSON', () => {
    const body = encodeKube('v1', 'Event', 'k8s.io.api.core.v1.Event', {
      metadata: goMeta({
        name: 'e',
        namespace: 'p',
        creationTimestamp: { seconds: 1704067200, nanos: 0 },
        managedFields: [
          {
            manager: 'kubectl',
            operation: 'Update',
            apiVersion: 'v1',
            time: { seconds: 1704067201 },
            fieldsType: 'FieldsV1',
            fieldsV1: { Raw: Buffer.from('{"f:reason":{}}') },
          },
        ],
      }),
      involvedObject: { kind: 'Pod', name: 'one' },
      reason: 'Started',
      firstTimestamp: { seconds: 1704067200, nanos: 999_999_999 },
      lastTimestamp: {},
      count: 1,
      eventTime: { seconds: 1704067200, nanos: 123_456_789 },
      reportingComponent: '',
      reportingInstance: '',
    });
    expect(decodeKubeProtobuf(body).object).toStrictEqual({
      kind: 'Event',
      apiVersion: 'v1',
      metadata: {
        name: 'e',
        namespace: 'p',
        creationTimestamp: '2024-01-01T00:00:00Z',
        managedFields: [
          {
            manager: 'kubectl',
            operation: 'Update',
            apiVersion: 'v1',
            time: '2024-01-01T00:00:01Z',
            fieldsType: 'FieldsV1',
            fieldsV1: { 'f:reason': {} },
          },
        ],
      },
      involvedObject: { kind: 'Pod', name: 'one' },
      reason: 'Started',
      source: {},
      firstTimestamp: '2024-01-01T00:00:00Z',
      lastTimestamp: null,
      count: 1,
      eventTime: '2024-01-01T00:00:00.123456Z',
      reportingComponent: '',
      reportingInstance: '',
    });
  });

  test('int64 as numbers, RawExtension as the embedded JSON object, and protobuf field names that differ from JSON names', () => {
    const rev = encodeKube('apps/v1', 'ControllerRevision', 'k8s.io.api.apps.v1.ControllerRevision', {
      metadata: goMeta({ name: 'r' }),
      data: { raw: Buffer.from('{"spec":{"template":{"x":1}}}') },
      revision: 9_007_199_254,
    });
    expect(decodeKubeProtobuf(rev).object).toMatchObject({
      data: { spec: { template: { x: 1 } } },
      revision: 9_007_199_254,
    });
    const review = encodeKube('authentication.k8s.io/v1', 'TokenRequest', 'k8s.io.api.authentication.v1.TokenRequest', {
      metadata: goMeta({}),
      spec: { audiences: ['api'], boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'one', uID: 'u-1' } },
    });
    expect(decodeKubeProtobuf(review).object).toMatchObject({
      spec: { audiences: ['api'], boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'one', uid: 'u-1' } },
    });
  });

  test('a SubjectAccessReview: extra (Go []string behind a protobuf message) as bare lists', () => {
    const body = encodeKube(
      'authorization.k8s.io/v1',
      'SubjectAccessReview',
      'k8s.io.api.authorization.v1.SubjectAccessReview',
      {
        metadata: goMeta({}),
        spec: {
          resourceAttributes: {
            namespace: 'p',
            verb: 'get',
            group: '',
            version: '',
            resource: 'pods',
            subresource: '',
            name: '',
          },
          user: 'ci',
          groups: ['system:authenticated'],
          extra: { scopes: { items: ['a', 'b'] }, none: { items: [] } },
          uid: '',
        },
        status: { allowed: false, denied: false, reason: '', evaluationError: '' },
      },
    );
    expect(decodeKubeProtobuf(body).object).toStrictEqual({
      kind: 'SubjectAccessReview',
      apiVersion: 'authorization.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec: {
        resourceAttributes: { namespace: 'p', verb: 'get', resource: 'pods' },
        user: 'ci',
        groups: ['system:authenticated'],
        extra: { none: null, scopes: ['a', 'b'] },
      },
      status: { allowed: false },
    });
  });

  test('a body whose envelope says its raw bytes are JSON', () => {
    const body = envelope(
      { apiVersion: 'v1', kind: 'ConfigMap' },
      Buffer.from('{"metadata":{"name":"c"},"data":{"k":"v"}}'),
      { contentType: 'application/json' },
    );
    expect(decodeKubeProtobuf(body).object).toStrictEqual({
      kind: 'ConfigMap',
      apiVersion: 'v1',
      metadata: { name: 'c' },
      data: { k: 'v' },
    });
  });
});

describe('decodeKubeProtobuf: bodies it refuses with 400 BadRequest', () => {
  const configMap = kubeProtoRoot().lookupType('k8s.io.api.core.v1.ConfigMap');
  const raw = configMap.encode(configMap.fromObject({ metadata: goMeta({ name: 'c' }) })).finish();

  test.each([
    ['no k8s\\0 prefix', Buffer.from('{"kind":"ConfigMap"}'), /starts with "k8s\\0"/],
    ['an empty body', Buffer.alloc(0), /starts with "k8s\\0"/],
    [
      'a corrupt envelope',
      Buffer.concat([Buffer.from('k8s\0', 'latin1'), Buffer.from([0x0a, 0xff, 0xff, 0x01])]),
      /invalid protobuf for the runtime.Unknown envelope/,
    ],
    ['an envelope without a kind', envelope({ apiVersion: 'v1' }, raw), /names no apiVersion and kind/],
    [
      'an unknown kind',
      envelope({ apiVersion: 'v1', kind: 'Widget' }, raw),
      /no protobuf message is known for kind Widget of v1; send it as application\/json/,
    ],
    [
      'a custom resource group',
      envelope({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute' }, raw),
      /no protobuf message is known for kind HTTPRoute/,
    ],
    [
      'a group without protos',
      envelope({ apiVersion: 'batch/v1', kind: 'Job' }, raw),
      /no protobuf message is known for kind Job of batch\/v1/,
    ],
    [
      'a compressed object',
      envelope({ apiVersion: 'v1', kind: 'ConfigMap' }, raw, { contentEncoding: 'gzip' }),
      /content encoding "gzip" is not supported/,
    ],
    [
      'a corrupt object',
      envelope({ apiVersion: 'v1', kind: 'ConfigMap' }, Buffer.from([0x0a, 0x05, 0x01])),
      /invalid protobuf for ConfigMap \(v1\)/,
    ],
    [
      'an embedded object that is not JSON',
      envelope(
        { apiVersion: 'apps/v1', kind: 'ControllerRevision' },
        Buffer.from([0x12, 0x05, 0x0a, 0x03, 0x7b, 0x7b, 0x7d]),
      ),
      /runtime.RawExtension holds neither JSON nor Kubernetes protobuf/,
    ],
  ])('%s', (_name, body, message) => {
    const err = decodeError(body);
    expect(err.code).toBe(400);
    expect(err.reason).toBe('BadRequest');
    expect(err.message).toMatch(/^the body of the request could not be decoded: /);
    expect(err.message).toMatch(message);
  });
});

describe('isKubeProtobuf', () => {
  test.each([
    ['application/vnd.kubernetes.protobuf', true],
    ['Application/VND.Kubernetes.Protobuf; charset=binary', true],
    ['application/vnd.kubernetes.protobuf;stream=watch', true],
    ['application/json', false],
    ['application/vnd.kubernetes.protobuf+json', false],
    ['', false],
    [undefined, false],
  ])('%s → %s', (ct, expected) => {
    expect(isKubeProtobuf(ct)).toBe(expected);
  });
});
