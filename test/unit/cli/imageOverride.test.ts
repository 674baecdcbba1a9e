/** --image: replaces a template container's image, or sets spec.image; refuses what is ambiguous. */
import { applyImageOverrides, parseImageOverride } from '../../../src/cli/imageOverride';
import { parsePlanDocument } from '../../../src/cli/planFile';
import { validatePlan } from '../../../src/plan/parse';

const TEMPLATE_PLAN = `
apiVersion: ramp.dev/v1alpha1
kind: Rollout
metadata: { name: checkout, namespace: shop }
spec:
  replicas: 2
  selector: { matchLabels: { app: checkout } }
  template:
    metadata: { labels: { app: checkout } }
    spec:
      containers:
        - { name: app, image: "ramp.dev/demo-app:v1" }
        - { name: sidecar, image: "envoy:1" }
  service: { name: checkout, port: 80 }
  strategy: { canary: { steps: [ { setWeight: 50 } ] } }
`;

const IMAGE_PLAN = TEMPLATE_PLAN.replace(/  template:[\s\S]*?(?=  service:)/, '  image: "app=ramp.dev/demo-app:v1"\n');

type Containers = { name: string; image: string }[];
const containers = (doc: Record<string, unknown>): Containers =>
  (doc.spec as { template: { spec: { containers: Containers } } }).template.spec.containers;

describe('--image', () => {
  it('parses container=ref and a bare ref, refusing malformed values', () => {
    expect(parseImageOverride('app=registry.example.com/app:v2')).toEqual({
      container: 'app',
      image: 'registry.example.com/app:v2',
    });
    expect(parseImageOverride('registry.example.com:5000/app@sha256:abc')).toEqual({
      container: undefined,
      image: 'registry.example.com:5000/app@sha256:abc',
    });
    expect(() => parseImageOverride('App=x')).toThrow(/not a container name/);
    expect(() => parseImageOverride('app=')).toThrow(/expected container=image/);
  });

  it("replaces only the named container's image, leaving the original document untouched", () => {
    const doc = parsePlanDocument(TEMPLATE_PLAN);
    const out = applyImageOverrides(doc, [
      parseImageOverride('sidecar=envoy:2'),
      parseImageOverride('app=ramp.dev/demo-app:v2'),
    ]);
    expect(containers(out)).toEqual([
      { name: 'app', image: 'ramp.dev/demo-app:v2' },
      { name: 'sidecar', image: 'envoy:2' },
    ]);
    expect(containers(doc)[0].image).toBe('ramp.dev/demo-app:v1');
    expect(() => validatePlan(out)).not.toThrow();
  });

  it('refuses an unknown container, and a bare ref when there are several containers', () => {
    const doc = parsePlanDocument(TEMPLATE_PLAN);
    expect(() => applyImageOverrides(doc, [parseImageOverride('web=x:1')])).toThrow(
      /no container "web" \(it has: app, sidecar\)/,
    );
    expect(() => applyImageOverrides(doc, [parseImageOverride('x:1')])).toThrow(
      /2 containers.*--image <container>=x:1/,
    );
  });

  it('sets spec.image for a plan that builds on the stable template', () => {
    const doc = parsePlanDocument(IMAGE_PLAN);
    const out = applyImageOverrides(doc, [parseImageOverride('app=ramp.dev/demo-app:v3')]);
    expect((out.spec as { image: string }).image).toBe('app=ramp.dev/demo-app:v3');
    expect(validatePlan(out).spec.image).toBe('app=ramp.dev/demo-app:v3');
    expect(() => applyImageOverrides(doc, [parseImageOverride('a=x:1'), parseImageOverride('b=y:1')])).toThrow(
      /give --image once/,
    );
  });
});
