import { ObjectStore } from '../../../src/apiServer/store';
import { Registry } from '../../../src/apiServer/registry';
import { resource } from '../../../src/apiServer/resources';
import { StatusError } from '../../../src/apiServer/statusError';
import type { KubeObject, WatchEvent } from '../../../src/apiServer/types';

const deployments = resource('deployments');
const pods = resource('pods');

function deployment(name = 'web', replicas: unknown = 2): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image: 'ramp.dev/demo-app:v1' }] },
      },
    },
  };
}

function pod(name: string, nodeName?: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { containers: [{ name: 'c', image: 'x:1' }], ...(nodeName ? { nodeName } : {}) },
  };
}

function statusOf(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (e) {
    if (e instanceof StatusError) return e;
    throw e;
  }
  throw new Error('expected a StatusError');
}

describe('Registry', () => {
  let registry: Registry;
  beforeEach(() => {
    registry = new Registry(new ObjectStore());
  });

  it('creates with uid, timestamp, generation, defaults and a server-owned status', () => {
    const body = { ...deployment(), status: { replicas: 99 } };
    const { object } = registry.create(deployments, 'default', body);
    expect(object.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(object.metadata.creationTimestamp).toMatch(/Z$/);
    expect(object.metadata.generation).toBe(1);
    expect((object.spec as { strategy: unknown }).strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
    });
    expect(object.status).toEqual({});
    expect(Object.isFrozen(object)).toBe(true);
  });

  it('names objects from generateName', () => {
    const { object } = registry.create(pods, 'default', { ...pod(''), metadata: { generateName: 'web-' } });
    expect(object.metadata.name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it('answers 409 on a stale resourceVersion and skips writes that change nothing', () => {
    const created = registry.create(deployments, 'default', deployment()).object;
    const updated = registry.update(deployments, 'default', 'web', {
      ...deployment('web', 3),
      metadata: { name: 'web', resourceVersion: created.metadata.resourceVersion },
    }).object;
    expect(updated.metadata.generation).toBe(2);
    const stale = statusOf(() =>
      registry.update(deployments, 'default', 'web', {
        ...deployment('web', 4),
        metadata: { name: 'web', resourceVersion: created.metadata.resourceVersion },
      }),
    );
    expect(stale.code).toBe(409);
    expect(stale.reason).toBe('Conflict');
    const same = registry.update(deployments, 'default', 'web', {
      ...deployment('web', 3),
      metadata: { ...updated.metadata },
    }).object;
    expect(same.metadata.resourceVersion).toBe(updated.metadata.resourceVersion);
  });

  it('keeps spec and status apart', () => {
    registry.create(deployments, 'default', deployment());
    const cur = registry.get(deployments, 'default', 'web');
    const withStatus = registry.update(
      deployments,
      'default',
      'web',
      { ...cur, status: { replicas: 2 } },
      { subresource: 'status' },
    ).object;
    expect(withStatus.status).toEqual({ replicas: 2 });
    expect(withStatus.metadata.generation).toBe(1);
    const specOnly = registry.update(deployments, 'default', 'web', {
      ...deployment('web', 5),
      status: { replicas: 7 },
    }).object;
    expect(specOnly.status).toEqual({ replicas: 2 });
  });

  it('refuses invalid objects with 422 naming every field', () => {
    const err = statusOf(() => registry.create(deployments, 'default', deployment('web', 'three')));
    expect(err.code).toBe(422);
    expect(err.details.causes).toEqual([
      expect.objectContaining({ field: 'spec.replicas', reason: 'FieldValueTypeInvalid' }),
    ]);
    const mismatch = deployment('api');
    (mismatch.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels = {
      app: 'other',
    };
    const err2 = statusOf(() => registry.create(deployments, 'default', mismatch));
    expect(err2.details.causes?.[0].field).toBe('spec.template.metadata.labels');
    const noImage = pod('p');
    (noImage.spec as { containers: Record<string, unknown>[] }).containers[0] = { name: 'c' };
    expect(statusOf(() => registry.create(pods, 'default', noImage)).details.causes?.[0].field).toBe(
      'spec.containers[0].image',
    );
    expect(statusOf(() => registry.create(pods, 'default', pod('Bad_Name'))).details.causes?.[0].field).toBe(
      'metadata.name',
    );
  });

  it('handles unknown fields as fieldValidation asks', () => {
    const body = deployment();
    (body.spec as Record<string, unknown>).replcas = 1;
    const strict = statusOf(() => registry.create(deployments, 'default', body, { fieldValidation: 'Strict' }));
    expect(strict.code).toBe(400);
    expect(strict.message).toContain('unknown field "spec.replcas"');
    const warned = registry.create(deployments, 'default', body, { fieldValidation: 'Warn' });
    expect(warned.warnings).toEqual(['unknown field "spec.replcas"']);
  });

  it('makes selectors immutable and lets a pod be bound to a node once', () => {
    registry.create(deployments, 'default', deployment());
    const changed = deployment();
    (changed.spec as { selector: unknown }).selector = { matchLabels: { app: 'web', x: 'y' } };
    expect(
      statusOf(() => registry.update(deployments, 'default', 'web', changed)).details.causes?.some(
        (c) => c.field === 'spec.selector',
      ),
    ).toBe(true);
    registry.create(pods, 'default', pod('p'));
    registry.patch(pods, 'default', 'p', 'merge', { spec: { nodeName: 'sandbox' } });
    expect(statusOf(() => registry.patch(pods, 'default', 'p', 'merge', { spec: { nodeName: 'other' } })).code).toBe(
      422,
    );
  });

  it('deletes scheduled pods gracefully and unscheduled ones at once', () => {
    registry.create(pods, 'default', pod('running', 'sandbox'));
    const first = registry.delete(pods, 'default', 'running');
    expect(first.removed).toBe(false);
    expect(first.object.metadata.deletionGracePeriodSeconds).toBe(30);
    expect(registry.delete(pods, 'default', 'running', { gracePeriodSeconds: 0 }).removed).toBe(true);
    registry.create(pods, 'default', pod('pending'));
    expect(registry.delete(pods, 'default', 'pending').removed).toBe(true);
  });

  it('holds objects with finalizers until the last one is removed', () => {
    registry.create(deployments, 'default', deployment());
    const pending = registry.delete(deployments, 'default', 'web', { propagationPolicy: 'Foreground' });
    expect(pending.removed).toBe(false);
    expect(pending.object.metadata.finalizers).toEqual(['foregroundDeletion']);
    const cur = registry.get(deployments, 'default', 'web');
    registry.update(deployments, 'default', 'web', { ...cur, metadata: { ...cur.metadata, finalizers: [] } });
    expect(registry.tryGet(deployments, 'default', 'web')).toBeUndefined();
  });

  it('refuses content in a missing or terminating namespace', () => {
    expect(statusOf(() => registry.create(pods, 'nope', pod('p'))).code).toBe(404);
    registry.ensureNamespace('going');
    registry.delete(resource('namespaces'), undefined, 'going');
    expect(statusOf(() => registry.create(pods, 'going', pod('p'))).code).toBe(403);
  });
});

describe('ObjectStore watches and lists', () => {
  it('replays from a resourceVersion, and answers 410 once history is compacted', () => {
    const registry = new Registry(new ObjectStore());
    const a = registry.create(pods, 'default', pod('a')).object;
    registry.create(pods, 'default', pod('b'));
    const seen: string[] = [];
    const w = registry.watch(pods, { resourceVersion: a.metadata.resourceVersion }, (e: WatchEvent) =>
      seen.push(`${e.type} ${e.object.metadata.name}`),
    );
    registry.delete(pods, 'default', 'a');
    w.stop();
    expect(seen).toEqual(['ADDED b', 'DELETED a']);
    registry.store.compact();
    expect(
      statusOf(() => registry.watch(pods, { resourceVersion: a.metadata.resourceVersion }, () => undefined)).code,
    ).toBe(410);
  });

  it('turns label changes into ADDED/DELETED for a selective watch', () => {
    const registry = new Registry(new ObjectStore());
    registry.create(pods, 'default', pod('a'));
    const seen: string[] = [];
    registry.watch(pods, { labelSelector: [{ key: 'ready', op: 'in', values: ['yes'] }] }, (e) => seen.push(e.type));
    registry.patch(pods, 'default', 'a', 'merge', { metadata: { labels: { ready: 'yes' } } });
    registry.patch(pods, 'default', 'a', 'merge', { metadata: { labels: { ready: 'no' } } });
    expect(seen).toEqual(['ADDED', 'DELETED']);
  });

  it('pages lists consistently with limit/continue', () => {
    const registry = new Registry(new ObjectStore());
    for (let i = 0; i < 5; i++) registry.create(pods, 'default', pod(`p${i}`));
    const first = registry.list(pods, { namespace: 'default', limit: 2 });
    expect(first.items.map((p) => p.metadata.name)).toEqual(['p0', 'p1']);
    expect(first.remainingItemCount).toBe(3);
    registry.create(pods, 'default', pod('p9')); // not part of the snapshot being paged
    const second = registry.list(pods, { limit: 10, continueToken: first.continueToken });
    expect(second.items.map((p) => p.metadata.name)).toEqual(['p2', 'p3', 'p4']);
    expect(second.resourceVersion).toBe(first.resourceVersion);
    expect(statusOf(() => registry.list(pods, { continueToken: first.continueToken })).code).toBe(410);
  });
});
