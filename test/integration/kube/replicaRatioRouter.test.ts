/** The replicaRatio router passes the router conformance suite: it never sends a request and cannot tell the split. */
import { ensureService } from '../../../src/kube/services';
import { resource } from '@ramp/sandbox';
import { describeRouterConformance } from './routerConformance';

describeRouterConformance('replicaRatio', {
  async prepare(_k, client, namespace) {
    // With replicaRatio the stable Service selects both revisions; no canary Service is needed.
    await ensureService(client, {
      namespace,
      name: 'web',
      selector: { 'ramp.dev/app': 'web' },
      port: 80,
      targetPort: 'http',
    });
    return { namespace, app: 'web', services: { stable: 'web', new: 'web-canary' }, port: 80 };
  },
  editBehindBack(k, ctx) {
    k.sb.registry.patch(resource('services'), ctx.namespace, 'web', 'merge', {
      spec: { selector: { 'ramp.dev/app': 'web', 'ramp.dev/revision': 'r1' } },
    });
  },
  unrelatedEdit(k, ctx) {
    k.sb.registry.patch(resource('services'), ctx.namespace, 'web', 'merge', {
      metadata: { labels: { team: 'payments' } },
    });
  },
  unrelatedEditKept(k, ctx) {
    return k.sb.registry.get(resource('services'), ctx.namespace, 'web').metadata.labels?.team === 'payments';
  },
  verifies: false,
  matches: false,
  usesApi: false,
  config: {},
});
