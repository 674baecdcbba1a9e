/**
 * Least privilege, checked against the code: the chart's Roles/ClusterRole allow every Kubernetes call the
 * product makes (found statically by scripts/chart/kubeCalls.mjs) and nothing else, with no `*`.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describeWithHelm, REPO, template, type RenderedObject } from '../../helpers/chart/helm';
import {
  disallowedCalls,
  grantsOf,
  scanCalls,
  scanRefusal,
  unusedGrants,
  type KubeCall,
} from '../../helpers/chart/rbac';

const FIXTURES = join(REPO, 'test', 'fixtures', 'kubeCalls');
const fixture = (name: string): string => join(FIXTURES, name, 'src', 'cli', 'main.ts');
/** The workers' ServiceAccount (every call) and the API's (the reads, and the reviews with auth.mode kubernetes). */
const SA = 'ramp';
const API_SA = 'ramp-api';
const READS = ['get', 'list', 'watch'];

let calls: KubeCall[];
/** The cluster's reviews are only the `kubernetes` authenticator's (auth.mode kubernetes). */
let authCalls: KubeCall[];
let staticCalls: KubeCall[];
/** What the API pods may do to the cluster: read it (the API checks plans against it, never writes). */
let readCalls: KubeCall[];
beforeAll(() => {
  calls = scanCalls();
  authCalls = calls.filter((c) => c.scope === 'cluster');
  staticCalls = calls.filter((c) => c.scope !== 'cluster');
  readCalls = staticCalls.filter((c) => READS.includes(c.verb));
}, 60_000);

function kinds(objects: RenderedObject[]): string[] {
  return objects.map((o) => o.kind).filter((k) => /Role/.test(k));
}

describe('the Kubernetes calls found in the code', () => {
  it('are every KubeClient.call() site, each with a literal verb, resource and API group', () => {
    expect(calls.length).toBeGreaterThanOrEqual(10);
    for (const c of calls) expect(c).toMatchObject({ verb: expect.any(String), resource: expect.any(String) });
    const distinct = new Set(calls.map((c) => `${c.verb} ${c.group}/${c.resource}`));
    process.stderr.write(`[rbac] ${calls.length} call sites, ${distinct.size} distinct (verb, group, resource)\n`);
  });

  it('are what charts/ramp/files/rbac-rules.yaml holds (node scripts/chart/kubeCalls.mjs --write)', () => {
    const r = spawnSync('node', [join(REPO, 'scripts', 'chart', 'kubeCalls.mjs'), '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 60_000);

  it('refuses a call whose resource is not a literal, naming the file and line', () => {
    expect(scanRefusal(fixture('nonLiteral'))).toMatch(
      /test\/fixtures\/kubeCalls\/nonLiteral\/src\/cli\/main\.ts:5: the resource is not a literal/,
    );
  }, 60_000);

  it('refuses a call labelled with a verb its request is not', () => {
    expect(scanRefusal(fixture('mislabelled'))).toMatch(
      /main\.ts:5: labelled get but sends listNamespacedPod \(list\)/,
    );
  }, 60_000);
});

describeWithHelm('the RBAC the chart grants', () => {
  it('grants the TokenReview and SubjectAccessReview only with auth.mode kubernetes, in a ClusterRole of their own', () => {
    expect(authCalls.map((c) => `${c.verb} ${c.resource}`).sort()).toEqual([
      'create subjectaccessreviews',
      'create tokenreviews',
    ]);
    for (const values of [{}, { watchNamespaces: ['shop'] }]) {
      const objects = template({ ...values, auth: { mode: 'kubernetes' } });
      const namespaces = 'watchNamespaces' in values ? ['shop'] : undefined;
      const api = grantsOf(objects, API_SA);
      expect(disallowedCalls([...readCalls, ...authCalls], api, namespaces)).toEqual([]);
      expect(unusedGrants([...readCalls, ...authCalls], api)).toEqual([]);
      // The workers never authenticate anyone.
      const workers = grantsOf(objects, SA);
      expect(disallowedCalls(staticCalls, workers, namespaces)).toEqual([]);
      expect(unusedGrants(staticCalls, workers)).toEqual([]);
      expect(
        objects.filter((o) => o.kind === 'ClusterRole').map((o) => (o.metadata as { name: string }).name),
      ).toContain('ramp-auth');
    }
  });

  it('gives the API pods a ServiceAccount of their own that may only read what the code reads', () => {
    for (const values of [{}, { watchNamespaces: ['shop'] }]) {
      const objects = template(values);
      const namespaces = 'watchNamespaces' in values ? ['shop'] : undefined;
      const api = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'ramp-api');
      const pod = (api?.spec as { template: { spec: { serviceAccountName: string } } }).template.spec;
      expect(pod.serviceAccountName).toBe(API_SA);
      const grants = grantsOf(objects, API_SA);
      expect(grants.filter((g) => !READS.includes(g.verb))).toEqual([]);
      expect(disallowedCalls(readCalls, grants, namespaces)).toEqual([]);
      expect(unusedGrants(readCalls, grants)).toEqual([]);
    }
    process.stderr.write(
      `[rbac] API: ${new Set(readCalls.map((c) => `${c.verb} ${c.group}/${c.resource}`)).size} distinct reads\n`,
    );
  });

  it('without watchNamespaces: one ClusterRole allowing every call and nothing else, no *', () => {
    const objects = template({});
    expect(kinds(objects).sort()).toEqual(['ClusterRole', 'ClusterRole', 'ClusterRoleBinding', 'ClusterRoleBinding']);
    const grants = grantsOf(objects, SA);
    expect(disallowedCalls(staticCalls, grants)).toEqual([]);
    expect(unusedGrants(staticCalls, grants)).toEqual([]);
    expect(JSON.stringify(objects.filter((o) => /Role$/.test(o.kind)))).not.toContain('*');
    const role = objects.find((o) => o.kind === 'ClusterRole');
    process.stderr.write(`[rbac] ClusterRole: ${(role?.rules as unknown[]).length} rules, ${grants.length} grants\n`);
  });

  it('with watchNamespaces: a Role per namespace (the namespace object by name only), no ClusterRole', () => {
    const namespaces = ['shop', 'billing'];
    const objects = template({ watchNamespaces: namespaces });
    expect(kinds(objects).sort()).toEqual([...Array(4).fill('Role'), ...Array(4).fill('RoleBinding')]);
    const grants = grantsOf(objects, SA);
    expect(disallowedCalls(staticCalls, grants, namespaces)).toEqual([]);
    expect(unusedGrants(staticCalls, grants)).toEqual([]);
    expect(grants.filter((g) => g.resource === 'namespaces').map((g) => g.resourceNames)).toEqual([
      ['shop'],
      ['billing'],
    ]);
    expect(
      grantsOf(objects, API_SA)
        .filter((g) => g.resource === 'namespaces')
        .map((g) => g.resourceNames),
    ).toEqual([['shop'], ['billing']]);
    expect(JSON.stringify(objects.filter((o) => /Role$/.test(o.kind)))).not.toContain('*');
  });

  it('fails when a rule is removed: each rule is needed by some call', () => {
    const grants = grantsOf(template({}), SA);
    for (const g of grants) {
      const without = grants.filter((x) => x !== g);
      expect({ removed: g, disallowed: disallowedCalls(staticCalls, without).length > 0 }).toEqual({
        removed: g,
        disallowed: true,
      });
    }
  });

  it('fails when the code adds a call the rules do not allow', () => {
    const added = scanCalls(fixture('added'));
    expect(added).toEqual([expect.objectContaining({ verb: 'delete', group: '', resource: 'pods' })]);
    expect(disallowedCalls([...staticCalls, ...added], grantsOf(template({}), SA))).toEqual([
      expect.stringMatching(
        /^delete core\/pods \(namespaced, test\/fixtures\/kubeCalls\/added\/src\/cli\/main\.ts:5\)$/,
      ),
    ]);
  }, 60_000);

  it('fails when a rule allows a call the code never makes', () => {
    const grants = grantsOf(template({}), SA);
    // Ramp patches ReplicaSets; it never replaces one (update).
    expect(unusedGrants(staticCalls, [...grants, { group: 'apps', resource: 'replicasets', verb: 'update' }])).toEqual([
      'update apps/replicasets',
    ]);
  });
});
