/** Builds Kubernetes protobuf request bodies with protobufjs, the way a Go client lays them out. */
import { kubeProtoRoot } from '../../../src/apiServer/protobuf/kubeProtos';

/** The runtime.Unknown envelope behind the `k8s\0` prefix, around already-encoded bytes. */
export function envelope(
  typeMeta: { apiVersion?: string; kind?: string },
  raw: Uint8Array,
  extra: { contentEncoding?: string; contentType?: string } = {},
): Buffer {
  const unknown = kubeProtoRoot().lookupType('k8s.io.apimachinery.pkg.runtime.Unknown');
  // Go writes its non-pointer strings even when empty, so the envelope carries "" for both.
  const bytes = unknown
    .encode(
      unknown.fromObject({
        typeMeta,
        raw,
        contentEncoding: extra.contentEncoding ?? '',
        contentType: extra.contentType ?? '',
      }),
    )
    .finish();
  return Buffer.concat([Buffer.from('k8s\0', 'latin1'), bytes]);
}

/** Encodes `obj` (protobuf field names) as message `messageName` inside an envelope for apiVersion/kind. */
export function encodeKube(
  apiVersion: string,
  kind: string,
  messageName: string,
  obj: Record<string, unknown>,
): Buffer {
  const type = kubeProtoRoot().lookupType(messageName);
  const problem = type.verify(obj);
  if (problem) throw new Error(`fixture for ${messageName} does not fit the message: ${problem}`);
  return envelope({ apiVersion, kind }, type.encode(type.fromObject(obj)).finish());
}

/** ObjectMeta as a Go marshaller writes it: every non-pointer field, empty ones included. */
export function goMeta(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    name: '',
    generateName: '',
    namespace: '',
    selfLink: '',
    uid: '',
    resourceVersion: '',
    generation: 0,
    creationTimestamp: {},
    ...fields,
  };
}

/** An IntOrString holding an integer, as Go writes it. */
export const int = (n: number): Record<string, unknown> => ({ type: 0, intVal: n, strVal: '' });
/** An IntOrString holding a string, as Go writes it. */
export const str = (s: string): Record<string, unknown> => ({ type: 1, intVal: 0, strVal: s });
