/** A sandbox's state.json: how `ramp sandbox status|down` and other processes find a running sandbox. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ControlPlaneKind } from './controlPlaneBackend';

export interface SandboxUrls {
  api: string;
  gateway: string;
  control: string;
  prometheus?: string;
  redis?: string;
}

/** What state.json holds: enough for another process to find and stop this sandbox. */
export interface SandboxRecord {
  pid: number;
  dir: string;
  startedAt: string;
  urls: SandboxUrls;
  kubeconfig: string;
  controlPlane?: ControlPlaneKind;
}

export const STATE_FILE = 'state.json';

/** Reads a sandbox's state.json, or undefined when there is none (or it is garbage). */
export function readSandboxRecord(dir: string): SandboxRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8')) as SandboxRecord;
  } catch {
    return undefined;
  }
}
