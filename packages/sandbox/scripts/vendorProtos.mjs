#!/usr/bin/env node
// Regenerates what the sandbox API server needs to speak Kubernetes protobuf (paths relative to
// packages/sandbox):
//
//  - assets/protobuf/proto/**: the `generated.proto` files of k8s.io/api and k8s.io/apimachinery for
//    the kinds the sandbox serves (and everything they import), at their import paths, so protobufjs
//    can decode the request bodies kubectl 1.32+ sends;
//  - assets/protobuf/goFields.json: for each message, how its Go struct writes each field as JSON
//    (name, omitempty, pointer), read from the Go types themselves by scripts/openapiv2pb/protofields;
//  - assets/openapi/v2/swagger.pb: Kubernetes' swagger.json (OpenAPI v2) trimmed to the served kinds,
//    plus the HTTPRoute CRD, encoded as the gnostic openapi_v2.Document protobuf that kubectl 1.27/1.28
//    read to learn that the server validates fields (scripts/openapiv2pb).
//
// Run by hand when the Kubernetes version moves: `node packages/sandbox/scripts/vendorProtos.mjs` (needs
// curl, unzip and Go). It downloads module zips from the Go module proxy; the output is committed so
// tests never need the network.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const API_VERSION = 'v0.32.0'; // k8s.io/api and k8s.io/apimachinery of Kubernetes v1.32.0
const K8S_VERSION = 'v1.32.0';
const GATEWAY_API_VERSION = 'v1.2.1';
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const protobufDir = join(root, 'assets', 'protobuf');
const protoOut = join(protobufDir, 'proto');
const v2Out = join(root, 'assets', 'openapi', 'v2');
const goTool = join(here, 'openapiv2pb');

/** The packages whose messages the sandbox decodes; their imports are added. */
const ROOT_PACKAGES = [
  'k8s.io/api/core/v1',
  'k8s.io/api/apps/v1',
  'k8s.io/api/discovery/v1',
  'k8s.io/api/networking/v1',
  'k8s.io/api/authentication/v1',
  'k8s.io/api/authorization/v1',
  'k8s.io/api/autoscaling/v1',
  'k8s.io/apimachinery/pkg/apis/meta/v1',
  'k8s.io/apimachinery/pkg/runtime',
  'k8s.io/apimachinery/pkg/runtime/schema',
  'k8s.io/apimachinery/pkg/util/intstr',
  'k8s.io/apimachinery/pkg/api/resource',
];

/** Which resources (plural names) of which group-version the OpenAPI v2 document keeps. */
const KEEP = {
  'api/v1': [
    'pods',
    'services',
    'endpoints',
    'events',
    'secrets',
    'configmaps',
    'namespaces',
    'nodes',
    'serviceaccounts',
  ],
  'apis/apps/v1': ['deployments', 'replicasets'],
  'apis/discovery.k8s.io/v1': ['endpointslices'],
  'apis/networking.k8s.io/v1': ['ingresses'],
  'apis/authentication.k8s.io/v1': ['tokenreviews'],
  'apis/authorization.k8s.io/v1': ['subjectaccessreviews', 'selfsubjectaccessreviews'],
};

function download(url, file) {
  execFileSync('curl', ['-fsSL', '-o', file, url], { stdio: 'inherit' });
}

function run(cmd, args, cwd) {
  // The checksum database is not a package registry; go.sum (committed) pins the modules instead.
  execFileSync(cmd, args, { cwd, stdio: 'inherit', env: { ...process.env, GOSUMDB: 'off', GOFLAGS: '-mod=readonly' } });
}

/** "k8s.io/api/core/v1" → where its generated.proto is in the unzipped modules. */
function sourceOf(work, pkg) {
  const m = /^k8s\.io\/(api|apimachinery)\/(.+)$/.exec(pkg);
  if (!m) throw new Error(`no module for ${pkg}`);
  return join(work, `k8s.io/${m[1]}@${API_VERSION}`, m[2], 'generated.proto');
}

function vendorProtoFiles(work) {
  const seen = new Set();
  const queue = [...ROOT_PACKAGES];
  rmSync(protoOut, { recursive: true, force: true });
  while (queue.length) {
    const pkg = queue.shift();
    if (seen.has(pkg)) continue;
    seen.add(pkg);
    const src = sourceOf(work, pkg);
    const text = readFileSync(src, 'utf8');
    for (const m of text.matchAll(/^import "(.+)\/generated\.proto";/gm)) queue.push(m[1]);
    const dest = join(protoOut, pkg, 'generated.proto');
    mkdirSync(dirname(dest), { recursive: true });
    copyFileSync(src, dest);
  }
  console.log(`protos: ${[...seen].sort().join(', ')}`);
  return [...seen].sort();
}

// --- OpenAPI v2 -------------------------------------------------------------------------------------

function keepPath(path, gv, resources) {
  const prefix = `/${gv}/`;
  if (!path.startsWith(prefix)) return false;
  const rest = path
    .slice(prefix.length)
    .split('/')
    .filter((s) => s !== 'watch');
  if (rest.length === 0 || (rest.length === 1 && rest[0] === '')) return true;
  let i = 0;
  if (rest[0] === 'namespaces' && rest.length > 2) i = 2;
  return resources.includes(rest[i]);
}

/**
 * Drops prose (most of the bytes) but keeps every structural field and x-kubernetes extension, and the
 * short descriptions of responses, which OpenAPI v2 requires.
 */
function strip(node, inResponses = false) {
  if (Array.isArray(node)) return node.map((n) => strip(n));
  if (node && typeof node === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(node)) {
      if (k === 'description' && typeof v === 'string' && !inResponses) continue;
      out[k] =
        k === 'responses' ? Object.fromEntries(Object.entries(v).map(([code, r]) => [code, strip(r, true)])) : strip(v);
    }
    return out;
  }
  return node;
}

function collectRefs(node, into) {
  if (Array.isArray(node)) node.forEach((n) => collectRefs(n, into));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') into.add(v);
      else collectRefs(v, into);
    }
  }
}

/** Definitions and shared parameters reachable from `from`, each closed over its own references. */
function reachable(doc, from) {
  const defs = {};
  const params = {};
  const queue = [];
  collectRefs(from, { add: (r) => queue.push(r) });
  while (queue.length) {
    const ref = queue.pop();
    const def = /^#\/definitions\/(.+)$/.exec(ref);
    const par = /^#\/parameters\/(.+)$/.exec(ref);
    const [table, name, source] = def ? [defs, def[1], doc.definitions] : par ? [params, par[1], doc.parameters] : [];
    if (!table || table[name] || !source[name]) continue;
    table[name] = source[name];
    collectRefs(source[name], { add: (r) => queue.push(r) });
  }
  return { defs, params };
}

function sortKeys(obj) {
  const out = {};
  for (const k of Object.keys(obj).sort()) out[k] = obj[k];
  return out;
}

/** Kubernetes' v2 form of a CRD schema: v2 has no nullable/oneOf/anyOf/not, so they are dropped. */
function toV2Schema(node) {
  if (Array.isArray(node)) return node.map(toV2Schema);
  if (!node || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (['nullable', 'oneOf', 'anyOf', 'not', 'x-kubernetes-validations'].includes(k)) continue;
    out[k] =
      k === 'properties' ? Object.fromEntries(Object.entries(v).map(([p, s]) => [p, toV2Schema(s)])) : toV2Schema(v);
  }
  // An int-or-string has no single v2 type; the API server leaves the type out.
  if (out['x-kubernetes-int-or-string']) delete out.type;
  return out;
}

/** The HTTPRoute paths and definitions as an API server publishes a CRD in v2, shaped like Ingress'. */
function httpRouteV2(crd, swagger) {
  const group = crd.spec.group;
  const { plural, kind, listKind } = crd.spec.names;
  const version = 'v1';
  const schemaName = `io.k8s.networking.gateway.${version}.${kind}`;
  const listName = `${schemaName}List`;
  const v = crd.spec.versions.find((x) => x.name === version);
  const rename = (item) => {
    const out = JSON.parse(
      JSON.stringify(item)
        .replaceAll('io.k8s.api.networking.v1.IngressList', listName)
        .replaceAll('io.k8s.api.networking.v1.Ingress', schemaName)
        .replaceAll('/apis/networking.k8s.io/v1', `/apis/${group}/${version}`)
        .replaceAll('ingresses', plural)
        .replaceAll('Ingress', kind)
        .replaceAll('networking_v1', `${group.replace(/\./g, '_')}_${version}`),
    );
    for (const op of Object.values(out)) {
      const gvk = op && typeof op === 'object' ? op['x-kubernetes-group-version-kind'] : undefined;
      if (gvk)
        op['x-kubernetes-group-version-kind'] = { group, version, kind: gvk.kind === listKind ? listKind : kind };
      // Custom resources have no strategic merge patch, and their documents say so.
      if (op?.['x-kubernetes-action'] === 'patch')
        op.consumes = op.consumes.filter((c) => c !== 'application/strategic-merge-patch+json');
    }
    return out;
  };
  const paths = {};
  for (const [p, item] of Object.entries(swagger.paths)) {
    if (!p.startsWith('/apis/networking.k8s.io/v1/') || !p.includes('ingresses')) continue;
    paths[p.replace('/apis/networking.k8s.io/v1', `/apis/${group}/${version}`).replace('ingresses', plural)] =
      rename(item);
  }
  const ref = (n) => ({ $ref: `#/definitions/${n}` });
  const schema = toV2Schema(JSON.parse(JSON.stringify(v.schema.openAPIV3Schema)));
  schema['x-kubernetes-group-version-kind'] = [{ group, kind, version }];
  schema.properties.metadata = ref('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
  const definitions = {
    [schemaName]: schema,
    [listName]: {
      type: 'object',
      required: ['items'],
      properties: {
        apiVersion: { type: 'string' },
        items: { type: 'array', items: ref(schemaName) },
        kind: { type: 'string' },
        metadata: ref('io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta'),
      },
      'x-kubernetes-group-version-kind': [{ group, kind: listKind, version }],
    },
  };
  return { paths, definitions };
}

function trimSwagger(swagger, crd) {
  const paths = {};
  for (const [p, v] of Object.entries(swagger.paths)) {
    if (Object.entries(KEEP).some(([gv, resources]) => keepPath(p, gv, resources))) paths[p] = v;
  }
  const route = httpRouteV2(crd, swagger);
  Object.assign(paths, route.paths);
  const { defs, params } = reachable(swagger, paths);
  Object.assign(defs, route.definitions);
  // The CRD's definitions refer to meta types that Ingress' closure already brought in.
  for (const ref of [...new Set(JSON.stringify(route).match(/#\/definitions\/[\w.]+/g))]) {
    const name = ref.slice('#/definitions/'.length);
    if (!defs[name]) throw new Error(`HTTPRoute refers to ${name}, which is not kept`);
  }
  return strip({
    swagger: swagger.swagger,
    info: swagger.info,
    paths: sortKeys(paths),
    definitions: sortKeys(defs),
    parameters: sortKeys(params),
    security: swagger.security,
    securityDefinitions: swagger.securityDefinitions,
  });
}

function main() {
  const work = mkdtempSync(join(tmpdir(), 'ramp-protos-'));
  try {
    generate(work);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function generate(work) {
  for (const mod of ['api', 'apimachinery']) {
    const zip = join(work, `${mod}.zip`);
    download(`https://proxy.golang.org/k8s.io/${mod}/@v/${API_VERSION}.zip`, zip);
    execFileSync('unzip', ['-q', '-o', zip, '*/generated.proto', '-d', work]);
  }
  const packages = vendorProtoFiles(work);
  run('go', ['run', './protofields', protoOut, join(protobufDir, 'goFields.json')], goTool);

  const k8sZip = join(work, 'k8s.zip');
  download(`https://proxy.golang.org/k8s.io/kubernetes/@v/${K8S_VERSION}.zip`, k8sZip);
  execFileSync('unzip', [
    '-q',
    '-o',
    k8sZip,
    `k8s.io/kubernetes@${K8S_VERSION}/api/openapi-spec/swagger.json`,
    '-d',
    work,
  ]);
  const gwZip = join(work, 'gw.zip');
  download(`https://proxy.golang.org/sigs.k8s.io/gateway-api/@v/${GATEWAY_API_VERSION}.zip`, gwZip);
  const crdPath = `sigs.k8s.io/gateway-api@${GATEWAY_API_VERSION}/config/crd/standard/gateway.networking.k8s.io_httproutes.yaml`;
  execFileSync('unzip', ['-q', '-o', gwZip, crdPath, '-d', work]);
  const swagger = JSON.parse(
    readFileSync(join(work, `k8s.io/kubernetes@${K8S_VERSION}/api/openapi-spec/swagger.json`), 'utf8'),
  );
  const trimmed = trimSwagger(swagger, YAML.parse(readFileSync(join(work, crdPath), 'utf8')));
  const trimmedFile = join(work, 'swagger.json');
  writeFileSync(trimmedFile, JSON.stringify(trimmed));
  if (!existsSync(v2Out)) mkdirSync(v2Out, { recursive: true });
  run('go', ['run', '.', trimmedFile, join(v2Out, 'swagger.pb')], goTool);

  writeFileSync(
    join(protobufDir, 'proto', 'SOURCE.md'),
    `Generated by scripts/vendorProtos.mjs: the generated.proto files of k8s.io/api ${API_VERSION} and\n` +
      `k8s.io/apimachinery ${API_VERSION} (Kubernetes ${K8S_VERSION}) for these packages, unchanged, at their import paths:\n\n` +
      packages.map((p) => `- ${p}\n`).join('') +
      `\n../goFields.json is derived from the Go types of the same modules (scripts/openapiv2pb/protofields).\n` +
      `Apache License 2.0, © The Kubernetes Authors. Do not edit by hand.\n`,
  );
  writeFileSync(
    join(v2Out, 'SOURCE.md'),
    `swagger.pb is generated by scripts/vendorProtos.mjs from k8s.io/kubernetes ${K8S_VERSION} (api/openapi-spec/swagger.json)\n` +
      `and sigs.k8s.io/gateway-api ${GATEWAY_API_VERSION} (HTTPRoute v1 CRD), trimmed to the kinds the sandbox serves,\n` +
      `descriptions dropped, encoded as a gnostic openapi_v2.Document (github.com/google/gnostic-models).\n` +
      `Apache License 2.0, © The Kubernetes Authors. Do not edit by hand.\n`,
  );
}

main();
