#!/usr/bin/env node
// The Kubernetes API calls Ramp's product code makes, found statically, and the RBAC rules they need.
//
// Every request goes through KubeClient.call(verb, resource, send) or readOrUndefined(resource, send)
// (src/kube/client.ts). This reads every file the CLI can load (src/cli/main.ts and what it imports,
// dynamic imports too) with the TypeScript compiler and, for each such call, takes the verb and the
// resource from their types (a literal, or a constant of literal type) and the API group and scope from
// the client-node method `send` calls. It refuses, naming file and line: a verb or resource that is not
// a literal type, a `send` that calls no API method or one whose kind disagrees with the verb (the RBAC
// verb would lie), an API method called outside call(), and an API client made anywhere but client.ts.
//
//   node scripts/chart/kubeCalls.mjs            the calls, as JSON
//   node scripts/chart/kubeCalls.mjs --rules    the rules charts/ramp/files/rbac-rules.yaml must hold
//   node scripts/chart/kubeCalls.mjs --write    rewrite that file
//   node scripts/chart/kubeCalls.mjs --check    exit 1 when that file is not current
import ts from 'typescript';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RULES_FILE = join(root, 'charts', 'ramp', 'files', 'rbac-rules.yaml');

/** client-node method name prefixes → the RBAC verb they are. */
const METHOD_VERBS = [
  ['read', 'get'],
  ['get', 'get'],
  ['list', 'list'],
  ['create', 'create'],
  ['replace', 'update'],
  ['patch', 'patch'],
  ['delete', 'delete'],
];
const API_GROUPS = { core: '', apps: 'apps' };
const CALL_METHODS = { call: 0, readOrUndefined: -1 };

class ScanError extends Error {}

function where(node) {
  const sf = node.getSourceFile();
  const { line } = sf.getLineAndCharacterOfPosition(node.getStart());
  return `${relative(root, sf.fileName)}:${line + 1}`;
}

function literal(checker, node, what) {
  const type = checker.getTypeAtLocation(node);
  if (type.isStringLiteral()) return type.value;
  throw new ScanError(
    `${where(node)}: the ${what} is not a literal (${node.getText()}: ${checker.typeToString(type)})`,
  );
}

function isKubeClient(checker, expr) {
  const t = checker.getTypeAtLocation(expr);
  return (t.getSymbol()?.getName() ?? '') === 'KubeClient';
}

/** `<kubeClient>.<core|apps|custom>.<method>(…)` → { api, method, call }. */
function apiCallOf(checker, node) {
  if (!ts.isCallExpression(node) || !ts.isPropertyAccessExpression(node.expression)) return undefined;
  const inner = node.expression.expression;
  if (!ts.isPropertyAccessExpression(inner)) return undefined;
  const api = inner.name.text;
  if (!['core', 'apps', 'custom'].includes(api) || !isKubeClient(checker, inner.expression)) return undefined;
  return { api, method: node.expression.name.text, call: node };
}

function verbOfMethod(method) {
  return METHOD_VERBS.find(([prefix]) => method.startsWith(prefix))?.[1];
}

function scopeOf(method, resource) {
  if (/ForAllNamespaces$/.test(method)) return 'allNamespaces';
  if (resource === 'namespaces') return 'namespaceItself';
  if (/Namespaced/.test(method)) return 'namespaced';
  return 'cluster';
}

function groupOf(checker, apiCall) {
  if (apiCall.api !== 'custom') return API_GROUPS[apiCall.api];
  const arg = apiCall.call.arguments[0];
  const prop = arg && checker.getTypeAtLocation(arg).getProperty('group');
  const type = prop && checker.getTypeOfSymbolAtLocation(prop, arg);
  if (type?.isStringLiteral()) return type.value;
  throw new ScanError(`${where(apiCall.call)}: the custom object's group is not a literal`);
}

/** The one API method a `send` callback calls. */
function sendsTo(checker, send) {
  const found = [];
  const visit = (n) => {
    const c = apiCallOf(checker, n);
    if (c) found.push(c);
    ts.forEachChild(n, visit);
  };
  visit(send);
  if (found.length !== 1)
    throw new ScanError(`${where(send)}: a call() must send exactly one API request, found ${found.length}`);
  return found[0];
}

/** The calls in every product file the CLI can load. */
export function scanKubeCalls(entry = join(root, 'src', 'cli', 'main.ts')) {
  const configPath = join(root, 'tsconfig.json');
  const config = ts.getParsedCommandLineOfConfigFile(
    configPath,
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic() {} },
  );
  const program = ts.createProgram([entry], { ...config.options, noEmit: true });
  const checker = program.getTypeChecker();
  const productDir = dirname(dirname(entry));
  const calls = [];
  const inside = new Set();
  const files = program.getSourceFiles().filter((f) => f.fileName.startsWith(productDir + '/') && !f.isDeclarationFile);
  for (const sf of files) {
    const door = sf.fileName.endsWith('/kube/client.ts');
    const visit = (node) => {
      if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
        const name = node.expression.name.text;
        if (name === 'makeApiClient' && !sf.fileName.endsWith('/kube/client.ts'))
          throw new ScanError(`${where(node)}: an API client made outside src/kube/client.ts`);
        // client.ts is the door itself: readOrUndefined forwards to call().
        if (name in CALL_METHODS && !door && isKubeClient(checker, node.expression.expression)) {
          const args = node.arguments;
          const verb = CALL_METHODS[name] === 0 ? literal(checker, args[0], 'verb') : 'get';
          const resource = literal(checker, args[CALL_METHODS[name] + 1], 'resource');
          const send = args[CALL_METHODS[name] + 2];
          const api = sendsTo(checker, send);
          inside.add(api.call);
          const methodVerb = verbOfMethod(api.method);
          if (methodVerb !== verb)
            throw new ScanError(
              `${where(node)}: labelled ${verb} but sends ${api.method} (${methodVerb ?? 'unknown'})`,
            );
          calls.push({
            verb,
            group: groupOf(checker, api),
            resource,
            scope: scopeOf(api.method, resource),
            method: api.method,
            at: where(node),
          });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
    const stray = (node) => {
      const c = apiCallOf(checker, node);
      if (c && !inside.has(c.call))
        throw new ScanError(`${where(node)}: ${c.method} is called outside KubeClient.call()`);
      ts.forEachChild(node, stray);
    };
    stray(sf);
  }
  return calls;
}

/** The rules the calls need, one per (group, resource), verbs sorted; and the scopes they are used in. */
export function rulesFor(calls) {
  const byKey = new Map();
  for (const c of calls) {
    const key = `${c.group}\u0000${c.resource}`;
    const r = byKey.get(key) ?? { apiGroups: [c.group], resources: [c.resource], verbs: [], scopes: [] };
    if (!r.verbs.includes(c.verb)) r.verbs.push(c.verb);
    if (!r.scopes.includes(c.scope)) r.scopes.push(c.scope);
    byKey.set(key, r);
  }
  const rules = [...byKey.values()].map((r) => ({ ...r, verbs: r.verbs.sort(), scopes: r.scopes.sort() }));
  return rules.sort((a, b) =>
    `${a.apiGroups[0]}/${a.resources[0]}`.localeCompare(`${b.apiGroups[0]}/${b.resources[0]}`),
  );
}

/** The rules file's text (YAML; JSON-compatible flow style, read by the chart's templates). */
export function rulesFileText(rules) {
  const lines = [
    '# Generated by scripts/chart/kubeCalls.mjs from the KubeClient.call() sites in src/: do not edit.',
    '# `scopes` says how the code asks: namespaced (in a namespace), namespaceItself (get of the namespace',
    '# object), allNamespaces (a list across namespaces: only without watchNamespaces). The chart reads it.',
    'rules:',
  ];
  for (const r of rules) {
    const f = (k, v) => `${k}: [${v.map((x) => JSON.stringify(x)).join(', ')}]`;
    lines.push(
      `  - { ${f('apiGroups', r.apiGroups)}, ${f('resources', r.resources)}, ${f('verbs', r.verbs)}, ${f('scopes', r.scopes)} }`,
    );
  }
  return lines.join('\n') + '\n';
}

function main(argv) {
  const mode = argv[2] ?? '--json';
  let calls;
  try {
    calls = scanKubeCalls(argv[3]);
  } catch (e) {
    if (!(e instanceof ScanError)) throw e;
    process.stderr.write(`kubeCalls: ${e.message}\n`);
    return 1;
  }
  const text = rulesFileText(rulesFor(calls));
  if (mode === '--json') process.stdout.write(JSON.stringify(calls, null, 2) + '\n');
  else if (mode === '--rules') process.stdout.write(text);
  else if (mode === '--write') writeFileSync(RULES_FILE, text);
  else if (mode === '--check') {
    if (readFileSync(RULES_FILE, 'utf8') === text) return 0;
    process.stderr.write(
      `kubeCalls: ${relative(root, RULES_FILE)} is not current: node scripts/chart/kubeCalls.mjs --write\n`,
    );
    return 1;
  } else {
    process.stderr.write('usage: kubeCalls.mjs [--json|--rules|--write|--check] [entry.ts]\n');
    return 2;
  }
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv);
