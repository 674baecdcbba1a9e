/**
 * The vendored documents load from the package's own specs/ directory, and values are checked against
 * them with Kubernetes' names for what is wrong (what Ramp's plan validation and the sandbox build on).
 */
import { join, resolve } from 'node:path';
import {
  checkSchema,
  fieldPath,
  hasSchema,
  openApiDocument,
  schemaProblems,
  specDirectory,
  unknownFieldPaths,
  vendoredDocuments,
} from '../src';

const POD_TEMPLATE = 'io.k8s.api.core.v1.PodTemplateSpec';

describe('vendored documents', () => {
  it('are read from <package root>/specs', () => {
    expect(specDirectory()).toBe(join(resolve(__dirname, '..'), 'specs'));
    expect([...vendoredDocuments().keys()].sort()).toEqual([
      'api/v1',
      'apis/apps/v1',
      'apis/authentication.k8s.io/v1',
      'apis/authorization.k8s.io/v1',
      'apis/discovery.k8s.io/v1',
      'apis/gateway.networking.k8s.io/v1',
      'apis/networking.k8s.io/v1',
    ]);
    expect(openApiDocument('apis/apps/v1')?.components.schemas['io.k8s.api.apps.v1.Deployment']).toBeDefined();
    expect(hasSchema('apis/apps/v1', POD_TEMPLATE)).toBe(true);
    expect(hasSchema('apis/apps/v1', 'io.k8s.api.nope')).toBe(false);
  });
});

describe('checks', () => {
  const template = {
    metadata: { labels: { app: 'x' } },
    spec: { containers: [{ name: 'app', image: 'x:1', ports: [{ containerPort: 8080 }] }] },
  };

  it('accept a valid value', () => {
    expect(checkSchema('apis/apps/v1', POD_TEMPLATE, template)).toEqual({ valid: true, problems: [] });
    expect(schemaProblems('apis/apps/v1', POD_TEMPLATE, template, 'spec.template')).toEqual([]);
  });

  it('name each field that is missing, mistyped or unknown, under the prefix', () => {
    const bad = {
      spec: { containers: [{ image: 'x:1', imagee: 'typo', ports: [{ containerPort: 'eighty' }] }] },
    };
    expect(unknownFieldPaths('apis/apps/v1', POD_TEMPLATE, bad)).toEqual(['spec.containers[0].imagee']);
    expect(schemaProblems('apis/apps/v1', POD_TEMPLATE, bad, 'spec.template')).toEqual([
      { reason: 'FieldValueRequired', field: 'spec.template.spec.containers[0].name', message: 'Required value' },
      {
        reason: 'FieldValueTypeInvalid',
        field: 'spec.template.spec.containers[0].ports[0].containerPort',
        message: 'Invalid value: "eighty": spec.containers[0].ports[0].containerPort in body must be of type integer',
      },
      { reason: 'FieldValueUnknown', field: 'spec.template.spec.containers[0].imagee', message: 'unknown field' },
    ]);
  });

  it('refuse a schema that is not vendored', () => {
    expect(() => schemaProblems('apis/apps/v1', 'io.k8s.api.nope', {}, 'x')).toThrow(/no schema io.k8s.api.nope/);
    expect(() => checkSchema('apis/nope/v1', POD_TEMPLATE, {})).toThrow(/no schema/);
  });

  it('turn JSON pointers into field paths', () => {
    expect(fieldPath('/spec/template/spec/containers/0/image')).toBe('spec.template.spec.containers[0].image');
    expect(fieldPath('/metadata/annotations/a~1b')).toBe('metadata.annotations.a/b');
    expect(fieldPath('')).toBe('');
  });
});
