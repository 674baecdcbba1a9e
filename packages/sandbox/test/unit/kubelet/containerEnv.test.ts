import type { Pod } from 'kubernetes-types/core/v1';
import { containerEnv, expandCommand, expandVars } from '../../../src/kubelet/containerEnv';

const pod: Pod = {
  metadata: { name: 'web-1', namespace: 'shop', uid: 'u-1', labels: { tier: 'front' }, annotations: { note: 'hi' } },
  spec: { nodeName: 'sandbox', containers: [] },
};
const data: Record<string, Record<string, string>> = {
  'ConfigMap/shop/settings': { MODE: 'fast', LEVEL: '3' },
  'Secret/shop/creds': { PASSWORD: 's3cret' },
};
const ctx = {
  podIP: '127.1.0.9',
  hostIP: '127.0.0.1',
  lookup: (kind: string, ns: string, name: string) => data[`${kind}/${ns}/${name}`],
};

describe('containerEnv', () => {
  it('combines the sandbox variables, envFrom, env values, the downward API and key references', () => {
    const r = containerEnv(
      pod,
      {
        name: 'c',
        ports: [{ containerPort: 8080 }],
        envFrom: [{ configMapRef: { name: 'settings' }, prefix: 'CFG_' }],
        env: [
          { name: 'A', value: 'one' },
          { name: 'B', value: '$(A)-two $$(A) $(MISSING)' },
          { name: 'NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          { name: 'UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
          { name: 'TIER', valueFrom: { fieldRef: { fieldPath: "metadata.labels['tier']" } } },
          { name: 'NOTE', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['note']" } } },
          { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
          { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'settings', key: 'MODE' } } },
          { name: 'PW', valueFrom: { secretKeyRef: { name: 'creds', key: 'PASSWORD' } } },
        ],
      },
      ctx,
    );
    expect(r.ok && r.env).toMatchObject({
      POD_IP: '127.1.0.9',
      POD_NAME: 'web-1',
      POD_NAMESPACE: 'shop',
      PORT: '8080',
      HOSTNAME: 'web-1',
      CFG_MODE: 'fast',
      CFG_LEVEL: '3',
      A: 'one',
      B: 'one-two $(A) $(MISSING)',
      NAME: 'web-1',
      NS: 'shop',
      UID: 'u-1',
      TIER: 'front',
      NOTE: 'hi',
      IP: '127.1.0.9',
      NODE: 'sandbox',
      MODE: 'fast',
      PW: 's3cret',
    });
  });

  it('lets the spec set PORT', () => {
    const r = containerEnv(
      pod,
      { name: 'c', ports: [{ containerPort: 8080 }], env: [{ name: 'PORT', value: '9000' }] },
      ctx,
    );
    expect(r.ok && r.env.PORT).toBe('9000');
  });

  it('fails like the kubelet on a missing ConfigMap or key, unless optional', () => {
    expect(
      containerEnv(
        pod,
        { name: 'c', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k' } } }] },
        ctx,
      ),
    ).toEqual({ ok: false, message: 'configmap "nope" not found' });
    expect(
      containerEnv(
        pod,
        { name: 'c', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'creds', key: 'k' } } }] },
        ctx,
      ),
    ).toEqual({ ok: false, message: "couldn't find key k in Secret shop/creds" });
    expect(
      containerEnv(
        pod,
        { name: 'c', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k', optional: true } } }] },
        ctx,
      ).ok,
    ).toBe(true);
  });

  it('expands $(VAR) in command and args', () => {
    expect(
      expandCommand({ name: 'c', command: ['echo', '$(A)'], args: ['$(B)', '$$(A)'] }, { A: '1', B: '2' }),
    ).toEqual({ command: ['echo', '1'], args: ['2', '$(A)'] });
    expect(expandVars('$(A)$(A)', { A: 'x' })).toBe('xx');
  });
});
