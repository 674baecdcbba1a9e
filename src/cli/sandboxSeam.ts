/**
 * The product's one door to the sandbox (@ramp/sandbox). The sandbox is a development tool that a
 * production install does not have, so it is loaded only when `ramp sandbox` or `ramp demo` runs (never
 * at start-up: types only are imported here), and its absence is a clear message with exit code 2.
 */
import { SandboxError } from '../errors';
import type * as SandboxPackage from '@ramp/sandbox';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** What @ramp/sandbox exports, as the commands use it once loaded. */
export type SandboxApi = typeof SandboxPackage;
export type { LoadGenerator, LoadReport, Sandbox, SandboxRecord } from '@ramp/sandbox';

const NOT_INSTALLED =
  'the sandbox is a development tool: install Ramp from its repository with npm ci to use `ramp sandbox`';
/** Marker properties the CLI's exit-code mapping reads by their shape (src/cli/exitCodes.ts). */
const MARKERS = ['badInput', 'unreachable', 'timedOut'] as const;
type Markers = Partial<Record<(typeof MARKERS)[number], true>>;

/** The default sandbox directory: $RAMP_SANDBOX_DIR, else ~/.ramp/sandbox. */
export function defaultSandboxDir(): string {
  return process.env.RAMP_SANDBOX_DIR ?? join(homedir(), '.ramp', 'sandbox');
}

function badInput(message: string, cause: unknown): SandboxError {
  return Object.assign(new SandboxError(message, { cause }), { badInput: true as const });
}

/** Why loading failed, for a user: not installed, or installed but not loadable (not built, say). */
function loadFailure(e: unknown): unknown {
  if ((e as NodeJS.ErrnoException | undefined)?.code !== 'MODULE_NOT_FOUND') return e;
  const first = (e as Error).message.split('\n')[0];
  if (first.includes("'@ramp/sandbox'")) return badInput(NOT_INSTALLED, e);
  return badInput(
    `the sandbox (@ramp/sandbox) cannot be loaded: ${first}; run \`npm run build\` in Ramp's repository`,
    e,
  );
}

function markersOf(e: object): Markers {
  const set = e as Record<string, unknown>;
  return Object.fromEntries(MARKERS.filter((k) => set[k] === true).map((k) => [k, true]));
}

let loading: Promise<SandboxApi> | undefined;

/** Loads @ramp/sandbox (once); rejects with a bad-input SandboxError (exit 2) when it is missing or not built. */
export function loadSandbox(): Promise<SandboxApi> {
  loading ??= import('@ramp/sandbox').catch((e: unknown) => {
    loading = undefined;
    throw loadFailure(e);
  });
  return loading;
}

/**
 * Runs `fn` with the sandbox loaded. The sandbox's own errors leave as Ramp's SandboxError with the
 * same message (all of it: the CLI shows only a first line of errors it does not know), the same
 * markers (so the same exit code) and the original as `cause`.
 */
export async function withSandbox<T>(fn: (sandbox: SandboxApi) => Promise<T>): Promise<T> {
  const sandbox = await loadSandbox();
  try {
    return await fn(sandbox);
  } catch (e) {
    if (!(e instanceof sandbox.SandboxBaseError)) throw e;
    throw Object.assign(new SandboxError(e.message, { cause: e }), markersOf(e));
  }
}
