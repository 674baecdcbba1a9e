/**
 * The sandbox's "container images": an image reference names a local command, looked up through a
 * small table of patterns. Nothing is downloaded; a reference no pattern matches fails to pull, as a
 * missing image does on a cluster.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../util/packageRoot';

/** A parsed image reference, normalised the way the container runtime reports it. */
export interface ImageReference {
  /** As written in the pod spec. */
  readonly raw: string;
  /** Registry and path, e.g. `ramp.dev/demo-app` or `docker.io/library/nginx`. */
  readonly repository: string;
  /** The tag (`latest` when neither tag nor digest is given). */
  readonly tag?: string;
  readonly digest?: string;
  /** `repository:tag` or `repository@digest`: what `containerStatuses[].image` shows. */
  readonly normalized: string;
}

/** The parts of a container spec an image's command depends on. */
export interface ContainerLaunchSpec {
  command?: readonly string[];
  args?: readonly string[];
}

/** The program to run for a container. */
export interface ImageCommand {
  command: string;
  args: string[];
  /**
   * The image's own files: host directories the program needs (its build, its node_modules). A
   * container's volumes never hide them, as a real image's files are never under a volume's host path.
   */
  files?: string[];
}

/** One entry of the registry: which references it serves and how to run them. */
export interface ImageDefinition {
  /** Glob over `repository:tag` (`*` matches any run of characters), or a regular expression. */
  pattern: string | RegExp;
  /** The command for a container of this image (Docker semantics: `command` replaces the entrypoint). */
  build(container: ContainerLaunchSpec, image: ImageReference): ImageCommand;
  /** Why the image cannot be used right now (e.g. not compiled), or undefined when it can. */
  unavailable?(image: ImageReference): string | undefined;
}

/** An image the kubelet can run. */
export interface PulledImage {
  reference: ImageReference;
  /** `<repository>@sha256:<sha256 of the reference>`: stable, like a registry digest. */
  imageID: string;
  definition: ImageDefinition;
}

export type PullResult = { ok: true; image: PulledImage } | { ok: false; message: string };

/** Parses and normalises an image reference (`nginx` → `docker.io/library/nginx:latest`). */
export function parseImageReference(raw: string): ImageReference {
  let rest = raw.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const first = rest.split('/')[0];
  const hasRegistry = rest.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  let repository = hasRegistry ? rest : `docker.io/${rest}`;
  if (!hasRegistry && !rest.includes('/')) repository = `docker.io/library/${rest}`;
  if (!tag && !digest) tag = 'latest';
  const normalized = digest ? `${repository}@${digest}` : `${repository}:${tag}`;
  return { raw, repository, tag, digest, normalized };
}

/** The stable fake image ID of a reference. */
export function imageIdOf(ref: ImageReference): string {
  return `${ref.repository}@sha256:${createHash('sha256').update(ref.normalized).digest('hex')}`;
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}

/** The compiled demo app's entry point. */
export function demoAppMainPath(root: string = packageRoot()): string {
  return join(root, 'dist', 'demoApp', 'main.js');
}

/**
 * `ramp.dev/demo-app:<tag>` → node running the compiled demo app, container args appended. The tag
 * is the app's VERSION unless the container's env sets one, so `:v2` answers as v2.
 */
export function demoAppImage(root: string = packageRoot()): ImageDefinition {
  const main = demoAppMainPath(root);
  return {
    pattern: 'ramp.dev/demo-app:*',
    build: (c, image) =>
      c.command && c.command.length > 0
        ? { command: c.command[0], args: [...c.command.slice(1), ...(c.args ?? [])] }
        : {
            command: process.execPath,
            args: [main, ...(image.tag ? [`--default-version=${image.tag}`] : []), ...(c.args ?? [])],
          },
    unavailable: () => (existsSync(main) ? undefined : `${main} is missing: compile the sandbox first (npm run build)`),
  };
}

/** The preload that gives a Node.js container a port space of its own (podNetworkShim.ts), compiled. */
export function podNetworkShimPath(root: string = packageRoot()): string {
  return join(root, 'dist', 'kubelet', 'podNetworkShim.js');
}

/**
 * Ramp's compiled CLI: the sandbox is a workspace package of the Ramp repository (packages/sandbox), and
 * the image the Helm chart names is that repository's build (`npx tsc -b tsconfig.build.json`).
 */
export function rampMainPath(root: string = packageRoot()): string {
  return join(root, '..', '..', 'dist', 'src', 'cli', 'main.js');
}

/**
 * `ramp.dev/ramp:<tag>` → the image the chart installs: its entrypoint is `ramp`, the container's args
 * follow (Docker semantics: a `command` replaces the entrypoint). Ramp listens on 0.0.0.0 as a container
 * should, so it runs with the pod-network preload; every tag is the local build.
 */
export function rampImage(root: string = packageRoot()): ImageDefinition {
  const main = rampMainPath(root);
  const shim = podNetworkShimPath(root);
  // The image's files: the repository (Ramp's build, the sandbox's preload, the node_modules they load).
  const files = [join(root, '..', '..')];
  return {
    pattern: 'ramp.dev/ramp:*',
    build: (c) =>
      c.command && c.command.length > 0
        ? { command: c.command[0], args: [...c.command.slice(1), ...(c.args ?? [])], files }
        : { command: process.execPath, args: ['--require', shim, main, ...(c.args ?? [])], files },
    unavailable: () => {
      if (!existsSync(main)) return `${main} is missing: compile Ramp first (npx tsc -b tsconfig.build.json)`;
      return existsSync(shim) ? undefined : `${shim} is missing: compile the sandbox first (npm run build)`;
    },
  };
}

/** `ramp.dev/exec:<tag>` → the container's own `command` + `args`, run directly (no shell). */
export function execImage(): ImageDefinition {
  return {
    pattern: 'ramp.dev/exec:*',
    build: (c) => {
      const argv = [...(c.command ?? []), ...(c.args ?? [])];
      if (argv.length === 0) throw new Error('no command specified');
      return { command: argv[0], args: argv.slice(1) };
    },
  };
}

/** Maps image references to commands. First matching definition wins. */
export class ImageRegistry {
  private readonly definitions: { match: RegExp; definition: ImageDefinition }[] = [];

  /** A registry with the built-in images (demo app, Ramp and exec). */
  static withBuiltins(root?: string): ImageRegistry {
    return new ImageRegistry().register(demoAppImage(root)).register(rampImage(root)).register(execImage());
  }

  /** Adds a definition (checked after the ones already registered). */
  register(definition: ImageDefinition): this {
    const match = typeof definition.pattern === 'string' ? globToRegExp(definition.pattern) : definition.pattern;
    this.definitions.push({ match, definition });
    return this;
  }

  /** "Pulls" an image: finds its definition, or says why it cannot, in the words a runtime uses. */
  pull(image: string): PullResult {
    const reference = parseImageReference(image);
    const target = reference.tag !== undefined ? `${reference.repository}:${reference.tag}` : reference.repository;
    const found = this.definitions.find((d) => d.match.test(target) || d.match.test(reference.raw));
    if (!found) {
      return {
        ok: false,
        message: `failed to resolve reference "${reference.normalized}": ${reference.normalized}: not found`,
      };
    }
    const why = found.definition.unavailable?.(reference);
    if (why) return { ok: false, message: `failed to pull and unpack image "${reference.normalized}": ${why}` };
    return { ok: true, image: { reference, imageID: imageIdOf(reference), definition: found.definition } };
  }
}
