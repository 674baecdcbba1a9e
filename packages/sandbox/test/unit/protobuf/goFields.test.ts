import { Namespace, Type, type ReflectionObject } from 'protobufjs';
import { goFieldTable, kubeProtoRoot, messageTypeFor } from '../../../src/apiServer/protobuf/kubeProtos';
import { goDuration, ownJsonTypeNames } from '../../../src/apiServer/protobuf/ownJsonTypes';
import { RESOURCES, apiVersionOf } from '../../../src/apiServer/resources';

function allTypes(ns: ReflectionObject): Type[] {
  if (ns instanceof Type) return [ns];
  if (ns instanceof Namespace) return ns.nestedArray.flatMap(allTypes);
  return [];
}

describe('the Go-field table (goFields.json) and the vendored .proto files agree', () => {
  const table = goFieldTable();
  const types = allTypes(kubeProtoRoot());

  test('every message has an entry, and every protobuf field of it is described exactly once', () => {
    expect(types.length).toBeGreaterThan(300);
    for (const type of types) {
      const name = type.fullName.slice(1);
      const fields = table.messages[name];
      expect({ name, described: fields !== undefined }).toEqual({ name, described: true });
      if (table.customJson.includes(name) || table.listTypes.includes(name)) continue;
      const numbers = fields.map((f) => f.number).sort((a, b) => a - b);
      expect({ name, numbers }).toEqual({ name, numbers: type.fieldsArray.map((f) => f.id).sort((a, b) => a - b) });
    }
  });

  test('the Go slice types are messages with one repeated field 1', () => {
    expect(table.listTypes.length).toBeGreaterThan(0);
    for (const name of table.listTypes) {
      const type = kubeProtoRoot().lookupType(name);
      expect(type.fieldsArray.map((f) => [f.id, f.repeated])).toEqual([[1, true]]);
    }
  });

  test('every type that writes its own JSON has a converter', () => {
    expect(ownJsonTypeNames().sort()).toEqual([...table.customJson].sort());
  });

  test('pointer-ness comes from the Go types: a few known cases', () => {
    const field = (msg: string, json: string) => table.messages[msg].find((f) => f.json === json);
    expect(field('k8s.io.api.apps.v1.DeploymentSpec', 'replicas')).toMatchObject({ pointer: true, omitempty: true });
    expect(field('k8s.io.api.apps.v1.DeploymentSpec', 'minReadySeconds')).toMatchObject({ omitempty: true });
    expect(field('k8s.io.api.apps.v1.DeploymentSpec', 'minReadySeconds')?.pointer).toBeUndefined();
    expect(field('k8s.io.api.core.v1.PodSpec', 'terminationGracePeriodSeconds')).toMatchObject({ pointer: true });
    expect(field('k8s.io.api.core.v1.ServicePort', 'port')).toEqual({ number: 3, json: 'port' });
    expect(field('k8s.io.api.discovery.v1.EndpointConditions', 'ready')).toMatchObject({ pointer: true });
  });

  test('every served built-in kind has a protobuf message', () => {
    const builtIn = RESOURCES.filter((r) => !r.group.includes('gateway.networking'));
    for (const r of builtIn)
      expect({ kind: r.kind, found: messageTypeFor(apiVersionOf(r), r.kind) !== undefined }).toEqual({
        kind: r.kind,
        found: true,
      });
    expect(messageTypeFor('autoscaling/v1', 'Scale')?.fullName).toBe('.k8s.io.api.autoscaling.v1.Scale');
  });
});

describe('goDuration matches Go time.Duration.String()', () => {
  test.each([
    [0, '0s'],
    [7, '7ns'],
    [1_500, '1.5µs'],
    [300_000_000, '300ms'],
    [1_500_000_000, '1.5s'],
    [120_000_000_000, '2m0s'],
    [3_600_000_000_000, '1h0m0s'],
    [3_723_000_000_001, '1h2m3.000000001s'],
    [-90_000_000_000, '-1m30s'],
  ])('%d ns → %s', (ns, text) => {
    expect(goDuration(ns)).toBe(text);
  });
});
