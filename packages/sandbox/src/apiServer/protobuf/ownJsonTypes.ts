/**
 * The Kubernetes types whose Go code writes its own JSON (they implement json.Marshaler): how each one's
 * protobuf form becomes the JSON value the same Go object would have produced.
 */
import { StatusError } from '../statusError';

/** A decoded message as a plain object (protobufjs toObject, longs as numbers, bytes as Uint8Array). */
export type PlainMessage = Record<string, unknown>;

/** Turns an embedded serialized object (RawExtension, Unknown) into JSON; decodes nested protobuf. */
export type EmbeddedDecoder = (raw: Uint8Array, what: string) => unknown;

type OwnJson = (m: PlainMessage, embedded: EmbeddedDecoder) => unknown;

const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const bytes = (v: unknown): Uint8Array | undefined => (v instanceof Uint8Array ? v : undefined);
const isEmpty = (m: PlainMessage): boolean => Object.keys(m).length === 0;

function utcSeconds(seconds: number): string {
  const d = new Date(seconds * 1000);
  if (Number.isNaN(d.getTime()))
    throw StatusError.badRequest(`the body of the request could not be decoded: time ${seconds}s is out of range`);
  return d.toISOString().slice(0, 19);
}

/** metav1.Time: RFC 3339 in UTC, whole seconds (Go drops nanos when it reads protobuf); unset → null. */
function time(m: PlainMessage): string | null {
  // Go writes nothing for the zero time, and reads an empty message back as the zero time.
  if (isEmpty(m)) return null;
  return `${utcSeconds(num(m.seconds))}Z`;
}

/** metav1.MicroTime: RFC 3339 in UTC with microseconds (Go truncates nanos); unset → null. */
function microTime(m: PlainMessage): string | null {
  if (isEmpty(m)) return null;
  const nanos = num(m.nanos);
  const seconds = num(m.seconds) + Math.floor(nanos / 1e9);
  const micros = Math.floor((((nanos % 1e9) + 1e9) % 1e9) / 1000);
  return `${utcSeconds(seconds)}.${String(micros).padStart(6, '0')}Z`;
}

function withFraction(whole: number, rest: number, digits: number): string {
  if (rest === 0) return String(whole);
  return `${whole}.${String(rest).padStart(digits, '0').replace(/0+$/, '')}`;
}

/** Go's time.Duration.String(): "0s", "1.5s", "2m0s", "1h0m0s", "300ms", "10µs", "7ns". */
export function goDuration(nanoseconds: number): string {
  if (nanoseconds === 0) return '0s';
  const sign = nanoseconds < 0 ? '-' : '';
  const u = Math.abs(nanoseconds);
  if (u < 1e3) return `${sign}${u}ns`;
  if (u < 1e6) return `${sign}${withFraction(Math.floor(u / 1e3), u % 1e3, 3)}µs`;
  if (u < 1e9) return `${sign}${withFraction(Math.floor(u / 1e6), u % 1e6, 6)}ms`;
  const totalSeconds = Math.floor(u / 1e9);
  const h = Math.floor(totalSeconds / 3600);
  const min = Math.floor((totalSeconds % 3600) / 60);
  const s = `${withFraction(totalSeconds % 60, u % 1e9, 9)}s`;
  if (h > 0) return `${sign}${h}h${min}m${s}`;
  if (min > 0) return `${sign}${min}m${s}`;
  return `${sign}${s}`;
}

/** resource.Quantity: Go clients send the canonical string, which is what they would send as JSON. */
function quantity(m: PlainMessage): string {
  const s = str(m.string);
  return s === '' ? '0' : s;
}

/** intstr.IntOrString: type 1 is a string, anything else the integer. */
function intOrString(m: PlainMessage): number | string {
  return num(m.type) === 1 ? str(m.strVal) : num(m.intVal);
}

/** runtime.RawExtension and metav1.FieldsV1: the embedded object; nil → null. */
function raw(field: string, what: string): OwnJson {
  return (m, embedded) => {
    const b = bytes(m[field]);
    return b === undefined ? null : embedded(b, what);
  };
}

/** runtime.Unknown written as JSON is its raw bytes, which must then be JSON. */
function unknown(m: PlainMessage, embedded: EmbeddedDecoder): unknown {
  const ct = str(m.contentType);
  if (ct !== '' && ct !== 'application/json')
    throw StatusError.badRequest(
      `the body of the request could not be decoded: an embedded object has content type "${ct}"`,
    );
  const b = bytes(m.raw);
  return b === undefined ? null : embedded(b, 'runtime.Unknown');
}

/** metav1.GroupVersion: "group/version", or "version" for the core group. */
function groupVersion(m: PlainMessage): string {
  return str(m.group) ? `${str(m.group)}/${str(m.version)}` : str(m.version);
}

const OWN_JSON: Record<string, OwnJson> = {
  'k8s.io.apimachinery.pkg.apis.meta.v1.Time': time,
  'k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime': microTime,
  'k8s.io.apimachinery.pkg.apis.meta.v1.Duration': (m) => goDuration(num(m.duration)),
  'k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1': raw('Raw', 'fieldsV1'),
  'k8s.io.apimachinery.pkg.apis.meta.v1.GroupVersion': groupVersion,
  'k8s.io.apimachinery.pkg.api.resource.Quantity': quantity,
  'k8s.io.apimachinery.pkg.api.resource.QuantityValue': quantity,
  'k8s.io.apimachinery.pkg.util.intstr.IntOrString': intOrString,
  'k8s.io.apimachinery.pkg.runtime.RawExtension': raw('raw', 'runtime.RawExtension'),
  'k8s.io.apimachinery.pkg.runtime.Unknown': unknown,
};

/** The converter of a message whose Go type writes its own JSON, by full name (no leading dot). */
export function ownJsonConverter(messageName: string): OwnJson | undefined {
  return OWN_JSON[messageName];
}

/** The names handled here, so a test can check that they cover goFields.json's `customJson`. */
export function ownJsonTypeNames(): string[] {
  return Object.keys(OWN_JSON);
}
