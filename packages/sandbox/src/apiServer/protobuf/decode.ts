/**
 * Request bodies in Kubernetes protobuf (`application/vnd.kubernetes.protobuf`), which kubectl 1.32+
 * sends for typed creates: the `k8s\0` prefix, a runtime.Unknown envelope naming the apiVersion and
 * kind, and the object's message inside, turned into the JSON object the client would have sent.
 */
import type { Message, Type } from 'protobufjs';
import { StatusError } from '../statusError';
import { GoJsonConverter } from './goJson';
import { kubeProtoRoot, messageTypeFor } from './kubeProtos';
import type { PlainMessage } from './ownJsonTypes';

/** The media type of Kubernetes protobuf. */
export const KUBE_PROTOBUF = 'application/vnd.kubernetes.protobuf';

const MAGIC = Buffer.from('k8s\0', 'latin1');

/** A decoded request body: the envelope's type and the object in JSON form (apiVersion and kind included). */
export interface DecodedObject {
  apiVersion: string;
  kind: string;
  object: Record<string, unknown>;
}

/** True for `application/vnd.kubernetes.protobuf` (parameters ignored). */
export function isKubeProtobuf(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0].trim().toLowerCase() === KUBE_PROTOBUF;
}

function undecodable(why: string): StatusError {
  return StatusError.badRequest(`the body of the request could not be decoded: ${why}`);
}

function plain(type: Type, bytes: Uint8Array, what: string): PlainMessage {
  let msg: Message;
  try {
    msg = type.decode(bytes);
  } catch (e) {
    throw undecodable(`invalid protobuf for ${what}: ${(e as Error).message}`);
  }
  return type.toObject(msg, { longs: Number }) as PlainMessage;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** An object embedded in another (RawExtension, FieldsV1): protobuf with the prefix, else JSON. */
function embedded(raw: Uint8Array, what: string): unknown {
  const buf = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  if (buf.subarray(0, MAGIC.length).equals(MAGIC)) return decodeKubeProtobuf(buf).object;
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch (e) {
    throw undecodable(`${what} holds neither JSON nor Kubernetes protobuf: ${(e as Error).message}`);
  }
}

function jsonObject(raw: Uint8Array, apiVersion: string, kind: string): DecodedObject {
  const parsed = embedded(raw, `the ${kind}`);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw undecodable(`the ${kind} is not a JSON object`);
  return { apiVersion, kind, object: { kind, apiVersion, ...(parsed as Record<string, unknown>) } };
}

/**
 * Decodes a Kubernetes protobuf body into the JSON object Kubernetes would have accepted as JSON. Throws
 * a BadRequest StatusError for a body without the prefix, a corrupt one, or a kind with no known message.
 */
export function decodeKubeProtobuf(body: Buffer): DecodedObject {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw undecodable('a Kubernetes protobuf body starts with "k8s\\0", this one does not');
  }
  const envelope = plain(
    kubeProtoRoot().lookupType('k8s.io.apimachinery.pkg.runtime.Unknown'),
    body.subarray(MAGIC.length),
    'the runtime.Unknown envelope',
  );
  const typeMeta = (envelope.typeMeta ?? {}) as PlainMessage;
  const apiVersion = str(typeMeta.apiVersion);
  const kind = str(typeMeta.kind);
  if (!apiVersion || !kind) throw undecodable('the runtime.Unknown envelope names no apiVersion and kind');
  const encoding = str(envelope.contentEncoding);
  if (encoding) throw undecodable(`content encoding "${encoding}" is not supported`);
  const raw = envelope.raw instanceof Uint8Array ? envelope.raw : new Uint8Array(0);
  const contentType = str(envelope.contentType);
  if (contentType === 'application/json') return jsonObject(raw, apiVersion, kind);
  if (contentType !== '' && contentType !== KUBE_PROTOBUF)
    throw undecodable(`the envelope's content type "${contentType}" is not supported`);
  const type = messageTypeFor(apiVersion, kind);
  if (!type)
    throw undecodable(`no protobuf message is known for kind ${kind} of ${apiVersion}; send it as application/json`);
  const converted = new GoJsonConverter(embedded).message(type, plain(type, raw, `${kind} (${apiVersion})`));
  // encoding/json writes the inline TypeMeta first: kind, then apiVersion.
  return { apiVersion, kind, object: { kind, apiVersion, ...(converted as Record<string, unknown>) } };
}
