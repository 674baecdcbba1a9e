import type { Readable } from 'node:stream';
import type { KubeObject } from './types';

export interface PodLogOptions {
  /** Container name; may be omitted when the pod has one container. */
  container?: string;
  /** Keep the stream open and send new lines as they are written, until the client goes away. */
  follow: boolean;
  /** Only the last N lines. */
  tailLines?: number;
  /** The previous (terminated) instance of the container, after a restart. */
  previous: boolean;
  /** Prefix each line with its RFC 3339 timestamp. */
  timestamps: boolean;
  limitBytes?: number;
}

/**
 * Where `GET …/pods/{name}/log` reads from: the kubelet, which owns the processes and their output.
 * `open` throws a StatusError (BadRequest) when the container is not named and the pod has several,
 * when it does not exist, or when no previous instance exists; it never throws for an empty log.
 */
export interface PodLogSource {
  open(pod: KubeObject, opts: PodLogOptions): Readable;
}
