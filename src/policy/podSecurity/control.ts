/** One Pod Security Standards control: what it is called, at which level it starts, and what it refuses. */
import type { PodView } from './podView';

export type PodSecurityLevel = 'privileged' | 'baseline' | 'restricted';

/** A field a control refuses, and why in a few words. */
export interface Violation {
  path: string;
  message: string;
}

export interface Control {
  /** The name the Pod Security Standards page gives it ("Host Namespaces"). */
  readonly title: string;
  readonly level: Exclude<PodSecurityLevel, 'privileged'>;
  /** Baseline controls this restricted one takes the place of (it checks the same fields, more strictly). */
  readonly replaces?: readonly string[];
  check(pod: PodView): Violation[];
}
