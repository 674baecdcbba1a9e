/**
 * The Helm chart with the real helm: `helm lint --strict` and `helm template` for the default values and
 * every documented combination; every rendered object checked against the Kubernetes schemas of the real
 * control plane's version (unknown fields too); pods locked down; the containers' arguments are flags the
 * CLI has; bad values refused naming the key.
 */
import { Command } from 'commander';
import YAML from 'yaml';
import { providersConfigSchema } from '../../../src/analysis/providers/registry';
import { tokenFileSchema } from '../../../src/api/auth/staticTokens';
import { podPolicyConfigSchema } from '../../../src/policy/podPolicy';
import { notificationsConfigSchema } from '../../../src/notifications/config';
import { performance } from 'node:perf_hooks';
import { registerServer } from '../../../src/cli/commands/server';
import { registerWorker } from '../../../src/cli/commands/worker';
import { CHART, describeWithHelm, helm, template, valuesFile, type RenderedObject } from '../../helpers/chart/helm';
import { objectProblems } from '../../helpers/chart/kubeSchemas';

const external = { redis: { url: 'redis://redis.example:6379', bundled: { enabled: false } } };

/** Every documented combination, by name. */
const COMBINATIONS: Record<string, unknown> = {
  defaults: {},
  'external Redis': external,
  'external Redis from an existing Secret, tokens from an existing Secret': {
    redis: { existingSecret: 'my-redis', bundled: { enabled: false } },
    auth: { staticTokens: { existingSecret: 'my-tokens', existingSecretKey: 'tokens' } },
  },
  'external Redis through Sentinel': {
    redis: { url: 'redis+sentinel://sentinel-0:26379,sentinel-1:26379/mymaster', bundled: { enabled: false } },
  },
  'bundled Redis without persistence': { redis: { bundled: { persistence: { enabled: false } } } },
  watchNamespaces: { watchNamespaces: ['shop', 'billing'] },
  ServiceMonitor: { serviceMonitor: { enabled: true, labels: { release: 'prometheus' } } },
  NetworkPolicy: {
    networkPolicy: {
      enabled: true,
      apiFrom: [{ namespaceSelector: { matchLabels: { 'ramp.dev/ci': 'true' } } }],
      metricsFrom: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
    },
  },
  'Grafana dashboard': { grafanaDashboard: { enabled: true } },
  Ingress: { ingress: { enabled: true, className: 'nginx', host: 'ramp.shop.example', tlsSecretName: 'ramp-tls' } },
  'everything at once': {
    ...external,
    watchNamespaces: ['shop'],
    serviceMonitor: { enabled: true },
    grafanaDashboard: { enabled: true },
    networkPolicy: { enabled: true },
    ingress: { enabled: true },
    api: { replicas: 3, tls: { secretName: 'ramp-api-tls' }, extraArgs: ['--body-limit=2048'] },
    worker: { replicas: 4, concurrency: 16 },
    imagePullSecrets: ['regcred'],
    auth: {
      staticTokens: {
        tokens: [
          { token: 'ci-token-0123456789abcdef', subject: 'ci', namespaces: ['shop'], verbs: ['read', 'write'] },
          { tokenSha256: 'a'.repeat(64), subject: 'oncall', namespaces: ['*'], verbs: ['read', 'operate'] },
        ],
      },
    },
    metricProviders: {
      providers: {
        providers: [
          {
            name: 'main',
            prometheus: { address: 'https://prometheus.example', bearerTokenFile: '/etc/ramp/secrets/prom/token' },
          },
        ],
        default: 'main',
      },
      secrets: [{ name: 'prom', secretName: 'prometheus-token' }],
    },
    podPolicy: { level: 'restricted', file: { namespaces: { build: { level: 'baseline' } } } },
    notifications: {
      file: {
        notifiers: [
          {
            name: 'deploys',
            webhook: { url: 'https://hooks.example.com/ramp', secretFile: '/etc/ramp/notifier-secrets/hook/secret' },
            events: ['Promoted', 'RolledBack', 'Failed'],
          },
          { name: 'team-slack', slack: { urlFile: '/etc/ramp/notifier-secrets/slack/url' }, namespaces: ['shop'] },
        ],
      },
      secrets: [
        { name: 'hook', secretName: 'ramp-hook-secret' },
        { name: 'slack', secretName: 'ramp-slack-url' },
      ],
    },
  },
};

function podSpecs(objects: RenderedObject[]): [string, Record<string, unknown>][] {
  return objects
    .filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet')
    .map((o) => {
      const spec = o.spec as { template: { spec: Record<string, unknown> } };
      return [`${o.kind}/${o.metadata.name}`, spec.template.spec];
    });
}

function flagsOf(register: (p: Command) => void, name: string): Set<string> {
  const program = new Command();
  register(program);
  const command = program.commands.find((c) => c.name() === name);
  return new Set(command?.options.map((o) => o.long ?? '') ?? []);
}

describeWithHelm('the Helm chart', () => {
  it('passes helm lint --strict with the default values and every combination', () => {
    for (const [name, values] of Object.entries(COMBINATIONS)) {
      const r = helm(['lint', '--strict', CHART, '-f', valuesFile(values)]);
      expect({ name, status: r.status, out: r.stdout + r.stderr }).toMatchObject({ name, status: 0 });
    }
  });

  it.each(Object.entries(COMBINATIONS))('renders %s into objects the Kubernetes schemas accept', (_, values) => {
    const started = performance.now();
    const objects = template(values);
    const ms = performance.now() - started;
    process.stderr.write(`[chart] helm template: ${objects.length} objects in ${ms.toFixed(0)} ms\n`);
    expect(objects.length).toBeGreaterThan(5);
    for (const o of objects) {
      if (o.kind === 'ServiceMonitor') {
        // A CRD (monitoring.coreos.com) whose schema is not vendored: its shape, minimally.
        expect(o.apiVersion).toBe('monitoring.coreos.com/v1');
        expect((o.spec as { endpoints: unknown[] }).endpoints).toHaveLength(2);
        continue;
      }
      expect({ object: `${o.kind}/${o.metadata.name}`, problems: objectProblems(o) }).toEqual({
        object: `${o.kind}/${o.metadata.name}`,
        problems: [],
      });
    }
  });

  it('runs every pod non-root, read-only, without privilege escalation or capabilities, RuntimeDefault seccomp', () => {
    for (const values of Object.values(COMBINATIONS))
      for (const [name, spec] of podSpecs(template(values))) {
        expect({ name, sc: spec.securityContext }).toMatchObject({
          name,
          sc: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
        });
        for (const c of spec.containers as { securityContext: unknown }[])
          expect({ name, sc: c.securityContext }).toEqual({
            name,
            sc: {
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              runAsNonRoot: true,
              capabilities: { drop: ['ALL'] },
              seccompProfile: { type: 'RuntimeDefault' },
            },
          });
      }
  });

  it('gives the API and the workers the same image, probes, PodDisruptionBudgets and a topology spread', () => {
    const objects = template({});
    const deployments = objects.filter((o) => o.kind === 'Deployment');
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(['ramp-api', 'ramp-worker']);
    const containers = deployments.map(
      (d) => (d.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec.containers[0],
    );
    expect(new Set(containers.map((c) => c.image)).size).toBe(1);
    expect(containers.map((c) => (c.args as string[])[0])).toEqual(['server', 'worker']);
    expect(containers[0]).toMatchObject({
      readinessProbe: { httpGet: { path: '/readyz' } },
      livenessProbe: { httpGet: { path: '/healthz' } },
    });
    expect(containers[1]).toMatchObject({ livenessProbe: { httpGet: { path: '/healthz', port: 'metrics' } } });
    expect(objects.filter((o) => o.kind === 'PodDisruptionBudget')).toHaveLength(2);
    for (const [, spec] of podSpecs(deployments)) expect(spec.topologySpreadConstraints).toHaveLength(1);
  });

  it("passes only flags the CLI's server and worker commands have", () => {
    const known = { server: flagsOf(registerServer, 'server'), worker: flagsOf(registerWorker, 'worker') };
    for (const values of Object.values(COMBINATIONS))
      for (const [, spec] of podSpecs(template(values))) {
        const c = (spec.containers as { args: string[] }[])[0];
        const command = c.args[0] as keyof typeof known;
        if (!(command in known)) continue; // Redis
        for (const arg of c.args.slice(1))
          expect({ command, arg, known: known[command].has(arg.split('=')[0]) }).toEqual({ command, arg, known: true });
      }
  });

  it('passes --namespaces to both commands with watchNamespaces, and never without', () => {
    const args = (objects: RenderedObject[]): string[][] =>
      podSpecs(objects)
        .filter(([n]) => n.startsWith('Deployment/'))
        .map(([, s]) => (s.containers as { args: string[] }[])[0].args);
    for (const a of args(template({ watchNamespaces: ['shop', 'billing'] })))
      expect(a).toContain('--namespaces=shop,billing');
    for (const a of args(template({}))) expect(a.some((x) => x.startsWith('--namespaces'))).toBe(false);
  });

  it('writes settings files and tokens that Ramp itself accepts', () => {
    const objects = template(COMBINATIONS['everything at once']);
    const data = (name: string, kind: string): Record<string, string> => {
      const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
      return (o?.data ?? o?.stringData) as Record<string, string>;
    };
    const config = data('ramp', 'ConfigMap');
    expect(providersConfigSchema.safeParse(YAML.parse(config['providers.yaml'])).success).toBe(true);
    expect(podPolicyConfigSchema.safeParse(YAML.parse(config['pod-policy.yaml'])).success).toBe(true);
    expect(notificationsConfigSchema.safeParse(YAML.parse(config['notifications.yaml'])).success).toBe(true);
    // Both commands read the notifiers, and the files they name are where the Secrets are mounted.
    for (const name of ['ramp-api', 'ramp-worker']) {
      const d = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name);
      const c = (
        d?.spec as { template: { spec: { containers: { args: string[]; volumeMounts: { mountPath: string }[] }[] } } }
      ).template.spec.containers[0];
      expect(c.args).toContain('--notifications-file=/etc/ramp/config/notifications.yaml');
      expect(c.volumeMounts.map((m) => m.mountPath)).toEqual(
        expect.arrayContaining(['/etc/ramp/notifier-secrets/hook', '/etc/ramp/notifier-secrets/slack']),
      );
    }
    const tokens = tokenFileSchema.safeParse(YAML.parse(data('ramp-tokens', 'Secret')['tokens.yaml']));
    expect(tokens.success && tokens.data.tokens).toHaveLength(2);
  });

  it.each([
    [{ api: { replicas: 'two' } }, "at '/api/replicas': got string, want integer"],
    [{ replicas: 2 }, "additional properties 'replicas' not allowed"],
    [{ worker: { concurency: 2 } }, "at '/worker': additional properties 'concurency' not allowed"],
    [{ redis: { bundled: { persistence: { size: 'big' } } } }, '/redis/bundled/persistence/size'],
    [
      { auth: { staticTokens: { tokens: [{ token: 'short', subject: 'x', namespaces: ['a'], verbs: ['read'] }] } } },
      '/auth/staticTokens/tokens/0/token',
    ],
    [{ podPolicy: { file: { levle: 'restricted' } } }, "additional properties 'levle' not allowed"],
    [{ redis: { url: 'redis://x:6379' } }, 'set redis.bundled.enabled=false'],
    [{ redis: { url: 'http://x:6379', bundled: { enabled: false } } }, '/redis/url'],
    [{ redis: { bundled: { enabled: false } } }, 'redis: no Redis'],
  ])('refuses %j naming the key', (values, message) => {
    const r = helm(['template', 'ramp', CHART, '-f', valuesFile(values)]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(message);
  });
});
