/**
 * `--image container=ref` (repeatable) and `--image ref`: a new image for a container of the plan's
 * template, or — for plans that build on the stable template — the plan's `spec.image`. Pure: returns a
 * changed copy, refusing (CliUsageError) what it cannot apply unambiguously.
 */
import { CliUsageError } from '../errors';
import { asRecord } from './planFile';

/** One parsed `--image` value. */
export interface ImageOverride {
  /** The container to change; undefined means "the only container". */
  container?: string;
  image: string;
}

const CONTAINER = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** `app=ramp.dev/demo-app:v2` → { container: 'app', image: … }; `ramp.dev/demo-app:v2` → { image: … }. */
export function parseImageOverride(value: string): ImageOverride {
  const eq = value.indexOf('=');
  const container = eq < 0 ? undefined : value.slice(0, eq);
  const image = eq < 0 ? value : value.slice(eq + 1);
  if (container !== undefined && !CONTAINER.test(container))
    throw new CliUsageError(
      `--image ${value}: "${container}" is not a container name (lower-case letters, digits and '-')`,
    );
  if (!image || /\s/.test(image) || image.includes('='))
    throw new CliUsageError(
      `--image ${value}: expected container=image or image, like app=registry.example.com/app:v2`,
    );
  return { container, image };
}

/** The plan with every override applied, in order (a later one for the same container wins). */
export function applyImageOverrides(
  doc: Record<string, unknown>,
  overrides: readonly ImageOverride[],
): Record<string, unknown> {
  if (overrides.length === 0) return doc;
  const spec = asRecord(doc.spec) ?? {};
  const template = asRecord(spec.template);
  if (template) return { ...doc, spec: { ...spec, template: overrideTemplate(template, overrides) } };
  // No template: the plan changes one container of the stable template through spec.image.
  const last = overrides[overrides.length - 1];
  const containers = new Set(overrides.map((o) => o.container ?? ''));
  if (containers.size > 1)
    throw new CliUsageError(
      '--image: a plan without spec.template changes one container (spec.image); give --image once',
    );
  return { ...doc, spec: { ...spec, image: last.container ? `${last.container}=${last.image}` : last.image } };
}

function overrideTemplate(
  template: Record<string, unknown>,
  overrides: readonly ImageOverride[],
): Record<string, unknown> {
  const podSpec = asRecord(template.spec) ?? {};
  const containers = Array.isArray(podSpec.containers)
    ? podSpec.containers.map((c) => ({ ...(asRecord(c) ?? {}) }))
    : [];
  const names = containers.map((c) => String(c.name ?? ''));
  for (const o of overrides) {
    const index = o.container === undefined ? onlyContainer(names, o.image) : names.indexOf(o.container);
    if (index < 0)
      throw new CliUsageError(
        `--image ${o.container}=${o.image}: the plan's template has no container "${o.container}" (it has: ${names.join(', ') || 'none'})`,
      );
    containers[index].image = o.image;
  }
  return { ...template, spec: { ...podSpec, containers } };
}

function onlyContainer(names: string[], image: string): number {
  if (names.length === 1) return 0;
  throw new CliUsageError(
    `--image ${image}: the plan's template has ${names.length} containers (${names.join(', ') || 'none'}); say which: --image <container>=${image}`,
  );
}
