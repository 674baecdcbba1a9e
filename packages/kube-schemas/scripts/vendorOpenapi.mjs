#!/usr/bin/env node
// Regenerates packages/kube-schemas/specs/*.json: the Kubernetes v1.32 OpenAPI v3 documents (and the
// Gateway API HTTPRoute CRD schema) trimmed to the kinds the sandbox serves. Ramp validates a plan's pod
// template against them; the sandbox uses them three ways: it serves them at /openapi/v3 (kubectl's
// server-side validation and strategic merge patch read them), it validates objects against them, and it
// reads the patch-merge keys from them.
//
// Run by hand when the Kubernetes version moves: `node packages/kube-schemas/scripts/vendorOpenapi.mjs`.
// It downloads the module zips from the Go module proxy (a package registry, reachable from CI machines
// too), but the output is committed so tests never need the network.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const K8S_VERSION = 'v1.32.0';
const GATEWAY_API_VERSION = 'v1.2.1';
const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, '..', 'specs');

/** Which resources (plural names) of which group-version we keep. */
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

function gvFileName(gv) {
  // Kubernetes' own naming: apis/apps/v1 → apis__apps__v1_openapi.json
  return `${gv.replace(/\//g, '__')}_openapi.json`;
}

function keepPath(path, gv, resources) {
  const prefix = `/${gv}/`;
  if (!path.startsWith(prefix)) return false;
  const rest = path
    .slice(prefix.length)
    .split('/')
    .filter((s) => s !== 'watch');
  if (rest.length === 0 || (rest.length === 1 && rest[0] === '')) return true; // resource list
  let i = 0;
  if (rest[0] === 'namespaces' && rest.length > 2) i = 2; // namespaces/{namespace}/<resource>
  return resources.includes(rest[i]);
}

/** Drops descriptions (most of the bytes) but keeps every structural field and x-kubernetes extension. */
function strip(node) {
  if (Array.isArray(node)) return node.map(strip);
  if (node && typeof node === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(node)) {
      if (k === 'description') continue;
      out[k] = strip(v);
    }
    return out;
  }
  return node;
}

function collectRefs(node, into) {
  if (Array.isArray(node)) node.forEach((n) => collectRefs(n, into));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') into.add(v.replace('#/components/schemas/', ''));
      else collectRefs(v, into);
    }
  }
}

function trimDoc(doc, gv, resources) {
  const paths = {};
  for (const [p, v] of Object.entries(doc.paths)) if (keepPath(p, gv, resources)) paths[p] = v;
  const wanted = new Set();
  collectRefs(paths, wanted);
  const schemas = doc.components.schemas;
  const seen = new Set();
  const queue = [...wanted];
  while (queue.length) {
    const name = queue.pop();
    if (seen.has(name) || !schemas[name]) continue;
    seen.add(name);
    const refs = new Set();
    collectRefs(schemas[name], refs);
    queue.push(...refs);
  }
  const kept = {};
  for (const name of [...seen].sort()) kept[name] = schemas[name];
  return strip({
    openapi: doc.openapi,
    info: doc.info,
    paths,
    components: { schemas: kept, securitySchemes: doc.components.securitySchemes },
  });
}

/** The OpenAPI v3 document an API server publishes for a CRD, built from the CRD's schema. */
function crdDoc(crd, version, template) {
  const group = crd.spec.group;
  const { plural, kind, listKind } = crd.spec.names;
  const v = crd.spec.versions.find((x) => x.name === version);
  const schemaName = `io.k8s.networking.gateway.${version}.${kind}`;
  const listName = `${schemaName}List`;
  const gvk = [{ group, kind, version }];
  const listGvk = [{ group, kind: listKind, version }];
  const ref = (n) => ({ $ref: `#/components/schemas/${n}` });
  const schema = JSON.parse(JSON.stringify(v.schema.openAPIV3Schema));
  schema['x-kubernetes-group-version-kind'] = gvk;
  schema.properties.metadata = { allOf: [ref('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta')] };
  // Reuse the shape of a built-in namespaced kind's operations (ingresses), renamed.
  const rename = (node, gvkFor) => {
    const s = JSON.stringify(node)
      .replaceAll('io.k8s.api.networking.v1.IngressList', listName)
      .replaceAll('io.k8s.api.networking.v1.Ingress', schemaName)
      .replaceAll('/apis/networking.k8s.io/v1', `/apis/${group}/${version}`)
      .replaceAll('ingresses', plural)
      .replaceAll('Ingress', kind);
    const out = JSON.parse(s);
    for (const op of Object.values(out)) {
      if (op && typeof op === 'object' && op['x-kubernetes-group-version-kind']) {
        op['x-kubernetes-group-version-kind'] = gvkFor(op['x-kubernetes-group-version-kind']);
      }
      // Custom resources do not support strategic merge patch, and their documents say so.
      const content = op && typeof op === 'object' ? op.requestBody?.content : undefined;
      if (op?.['x-kubernetes-action'] === 'patch' && content) delete content['application/strategic-merge-patch+json'];
    }
    return out;
  };
  const paths = {};
  for (const [p, item] of Object.entries(template.paths)) {
    if (!p.includes('ingresses')) continue;
    const np = p.replace('/apis/networking.k8s.io/v1', `/apis/${group}/${version}`).replace('ingresses', plural);
    paths[np] = rename(item, (g) => (g.kind === 'IngressList' ? listGvk[0] : { group, kind, version }));
  }
  const metaSchemas = {};
  const refs = new Set();
  collectRefs(paths, refs);
  refs.add('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
  const queue = [...refs];
  while (queue.length) {
    const name = queue.pop();
    if (metaSchemas[name] || !template.components.schemas[name]) continue;
    if (name.startsWith('io.k8s.api.networking')) continue;
    metaSchemas[name] = template.components.schemas[name];
    const more = new Set();
    collectRefs(template.components.schemas[name], more);
    queue.push(...more);
  }
  metaSchemas[schemaName] = schema;
  metaSchemas[listName] = {
    type: 'object',
    required: ['items'],
    properties: {
      apiVersion: { type: 'string' },
      items: { type: 'array', items: ref(schemaName) },
      kind: { type: 'string' },
      metadata: { allOf: [ref('io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta')] },
    },
    'x-kubernetes-group-version-kind': listGvk,
  };
  const sorted = {};
  for (const k of Object.keys(metaSchemas).sort()) sorted[k] = metaSchemas[k];
  return strip({
    openapi: template.openapi,
    info: { title: 'Kubernetes CRD Swagger', version: 'v0.1.0' },
    paths,
    components: { schemas: sorted },
  });
}

function main() {
  const work = mkdtempSync(join(tmpdir(), 'ramp-openapi-'));
  const k8sZip = join(work, 'k8s.zip');
  download(`https://proxy.golang.org/k8s.io/kubernetes/@v/${K8S_VERSION}.zip`, k8sZip);
  execFileSync('unzip', ['-q', '-o', k8sZip, `k8s.io/kubernetes@${K8S_VERSION}/api/openapi-spec/v3/*`, '-d', work]);
  const gwZip = join(work, 'gw.zip');
  download(`https://proxy.golang.org/sigs.k8s.io/gateway-api/@v/${GATEWAY_API_VERSION}.zip`, gwZip);
  execFileSync('unzip', [
    '-q',
    '-o',
    gwZip,
    `sigs.k8s.io/gateway-api@${GATEWAY_API_VERSION}/config/crd/standard/*`,
    '-d',
    work,
  ]);
  const specDir = join(work, `k8s.io/kubernetes@${K8S_VERSION}/api/openapi-spec/v3`);
  if (!existsSync(outDir)) mkdirSync(outDir, { recursive: true });
  let networking;
  for (const [gv, resources] of Object.entries(KEEP)) {
    const doc = JSON.parse(readFileSync(join(specDir, gvFileName(gv)), 'utf8'));
    if (gv === 'apis/networking.k8s.io/v1') networking = doc;
    const trimmed = trimDoc(doc, gv, resources);
    writeFileSync(join(outDir, gvFileName(gv)), JSON.stringify(trimmed) + '\n');
    console.log(
      `${gv}: ${Object.keys(trimmed.paths).length} paths, ${Object.keys(trimmed.components.schemas).length} schemas`,
    );
  }
  const crd = YAML.parse(
    readFileSync(
      join(
        work,
        `sigs.k8s.io/gateway-api@${GATEWAY_API_VERSION}/config/crd/standard/gateway.networking.k8s.io_httproutes.yaml`,
      ),
      'utf8',
    ),
  );
  const gw = crdDoc(crd, 'v1', networking);
  writeFileSync(join(outDir, gvFileName('apis/gateway.networking.k8s.io/v1')), JSON.stringify(gw) + '\n');
  console.log(`apis/gateway.networking.k8s.io/v1: ${Object.keys(gw.paths).length} paths`);
  writeFileSync(
    join(outDir, 'SOURCE.md'),
    `Generated by packages/kube-schemas/scripts/vendorOpenapi.mjs from k8s.io/kubernetes ${K8S_VERSION} (api/openapi-spec/v3) and\n` +
      `sigs.k8s.io/gateway-api ${GATEWAY_API_VERSION} (config/crd/standard, HTTPRoute v1), trimmed to the kinds the\n` +
      `sandbox serves, descriptions dropped. Apache License 2.0, © The Kubernetes Authors. Do not edit by hand.\n`,
  );
}

main();
