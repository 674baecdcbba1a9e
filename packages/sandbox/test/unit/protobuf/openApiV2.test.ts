import { OPENAPI_V2_PROTOBUF, openApiV2Document, wantsOpenApiV2Protobuf } from '../../../src/apiServer/openapi/v2';

describe('the OpenAPI v2 document for kubectl 1.27/1.28', () => {
  const doc = openApiV2Document();

  test('is vendored, read once', () => {
    expect(doc).toBeInstanceOf(Buffer);
    expect(doc!.length).toBeGreaterThan(100_000);
    expect(openApiV2Document()).toBe(doc);
  });

  test("holds the served kinds' paths and the extensions kubectl reads (action, group-version-kind, fieldValidation)", () => {
    const text = doc!.toString('latin1');
    for (const path of [
      '/api/v1/namespaces/{namespace}/configmaps/{name}',
      '/api/v1/namespaces/{namespace}/services/{name}',
      '/api/v1/namespaces/{name}',
      '/apis/apps/v1/namespaces/{namespace}/deployments/{name}',
      '/apis/apps/v1/namespaces/{namespace}/replicasets/{name}/scale',
      '/apis/discovery.k8s.io/v1/namespaces/{namespace}/endpointslices/{name}',
      '/apis/networking.k8s.io/v1/namespaces/{namespace}/ingresses/{name}',
      '/apis/gateway.networking.k8s.io/v1/namespaces/{namespace}/httproutes/{name}',
    ]) {
      expect(text).toContain(path);
    }
    expect(text).not.toContain('/apis/batch/v1/');
    for (const s of [
      'x-kubernetes-action',
      'x-kubernetes-group-version-kind',
      'fieldValidation',
      'io.k8s.api.apps.v1.Deployment',
      'io.k8s.networking.gateway.v1.HTTPRoute',
    ]) {
      expect(text).toContain(s);
    }
    // Vendor extensions are YAML inside the protobuf.
    expect(text).toMatch(/group: gateway\.networking\.k8s\.io\s+kind: HTTPRoute\s+version: v1/);
  });

  test('is served for either spelling of its media type, and answered with the one Go can parse', () => {
    expect(OPENAPI_V2_PROTOBUF).toBe('application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
    expect(wantsOpenApiV2Protobuf('application/com.github.proto-openapi.spec.v2@v1.0+protobuf')).toBe(true);
    expect(
      wantsOpenApiV2Protobuf('application/json, application/com.github.proto-openapi.spec.v2.v1.0+protobuf;q=0.9'),
    ).toBe(true);
    expect(wantsOpenApiV2Protobuf('application/json')).toBe(false);
    expect(wantsOpenApiV2Protobuf(undefined)).toBe(false);
  });
});
