/**
 * The vendored Kubernetes .proto files (assets/protobuf/proto/SOURCE.md) and the Go-field table beside
 * them (assets/protobuf/goFields.json), loaded once on first use, and the lookup from an object's
 * apiVersion and kind to its protobuf message.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Root, Type } from 'protobufjs';
import { packageRoot } from '../../util/packageRoot';

/** How one protobuf field of a message appears in its Go struct's JSON (see scripts/openapiv2pb/protofields). */
export interface GoField {
  /** The protobuf field number. */
  number: number;
  /** The JSON name; absent for an embedded struct. */
  json?: string;
  omitempty?: boolean;
  pointer?: boolean;
  /** An embedded struct (`json:",inline"`): its fields are written into the enclosing object. */
  inline?: boolean;
}

export interface GoFieldTable {
  source: string;
  /** Messages whose Go type writes its own JSON (Time, Quantity, IntOrString, …). */
  customJson: string[];
  /** Messages whose Go type is a slice (ExtraValue, Verbs): the JSON is the bare list of field 1, `items`. */
  listTypes: string[];
  /** Message full name → its fields in Go's order, which is the order encoding/json writes them in. */
  messages: Record<string, GoField[]>;
}

/** The packages whose .proto files are vendored, by import path. */
const PACKAGES = [
  'k8s.io/api/core/v1',
  'k8s.io/api/apps/v1',
  'k8s.io/api/discovery/v1',
  'k8s.io/api/networking/v1',
  'k8s.io/api/authentication/v1',
  'k8s.io/api/authorization/v1',
  'k8s.io/api/autoscaling/v1',
  'k8s.io/apimachinery/pkg/apis/meta/v1',
  'k8s.io/apimachinery/pkg/runtime',
];

const META_PACKAGE = 'k8s.io.apimachinery.pkg.apis.meta.v1';

/** Kinds that meta/v1 adds to every group-version (k8s.io/apimachinery AddToGroupVersion). */
const META_KINDS = new Set([
  'DeleteOptions',
  'CreateOptions',
  'UpdateOptions',
  'PatchOptions',
  'GetOptions',
  'ListOptions',
  'WatchEvent',
  'Status',
]);

function dataDirectory(): string {
  // Data, not code: one copy in the package's assets/, found the same from src/ (ts-jest) and dist/.
  return join(packageRoot(), 'assets', 'protobuf');
}

let root: Root | undefined;
let table: GoFieldTable | undefined;

/** The protobufjs root holding every vendored message, field names as in the .proto files. */
export function kubeProtoRoot(): Root {
  if (root) return root;
  const dir = join(dataDirectory(), 'proto');
  const r = new Root();
  r.resolvePath = (_origin, target) => join(dir, target);
  r.loadSync(
    PACKAGES.map((p) => `${p}/generated.proto`),
    { keepCase: true },
  );
  r.resolveAll();
  root = r;
  return r;
}

/** The Go-field table (goFields.json). */
export function goFieldTable(): GoFieldTable {
  table ??= JSON.parse(readFileSync(join(dataDirectory(), 'goFields.json'), 'utf8')) as GoFieldTable;
  return table;
}

/** "v1" → the core package; "apps/v1" → k8s.io.api.apps.v1; "discovery.k8s.io/v1" → k8s.io.api.discovery.v1. */
function packageOf(apiVersion: string): string | undefined {
  const parts = apiVersion.split('/');
  if (parts.length === 1 && parts[0] === 'v1') return 'k8s.io.api.core.v1';
  if (parts.length !== 2 || !parts[0] || !parts[1]) return undefined;
  const [group, version] = parts;
  if (group === 'meta.k8s.io') return `k8s.io.apimachinery.pkg.apis.meta.${version}`;
  const short = group.endsWith('.k8s.io') ? group.slice(0, -'.k8s.io'.length) : group;
  // Only the built-in groups have protobuf messages; a look-alike group (e.g. "apps.example.com") has none.
  if (short.includes('.')) return undefined;
  return `k8s.io.api.${short}.${version}`;
}

/** The protobuf message of an object of this apiVersion and kind, or undefined when none is vendored. */
export function messageTypeFor(apiVersion: string, kind: string): Type | undefined {
  if (!/^[A-Z]\w*$/.test(kind)) return undefined;
  const pkg = packageOf(apiVersion);
  const candidates = pkg ? [`${pkg}.${kind}`] : [];
  if (META_KINDS.has(kind)) candidates.push(`${META_PACKAGE}.${kind}`);
  const r = kubeProtoRoot();
  for (const name of candidates) {
    const found = r.lookup(name);
    if (found instanceof Type) return found;
  }
  return undefined;
}
