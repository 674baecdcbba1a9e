/**
 * "Pulling" a container's image the way a kubelet reports it: Pulling/Pulled events, ErrImagePull on
 * failure, ImagePullBackOff while waiting to retry, and the retry itself on an exponential back-off.
 */
import type { Container } from 'kubernetes-types/core/v1';
import { type Backoff, formatGoDuration } from './backoff';
import type { ImageRegistry, PulledImage } from './imageRegistry';

/** What the puller needs from its container worker. */
export interface PullHost {
  event(type: 'Normal' | 'Warning', reason: string, message: string): void;
  /** Shows the container as waiting with this reason and message. */
  setWaiting(reason: string, message: string): void;
  /** Runs `fn` after `ms` unless the container stopped meanwhile. */
  later(ms: number, fn: () => void): void;
  /** Tries starting the container again. */
  retry(): void;
}

/** The image pulls of one container. */
export class ImagePuller {
  private lastFailure = 0;

  constructor(
    private readonly images: ImageRegistry,
    private readonly backoff: Backoff,
    /** Back-off keys are per pod and image, as the kubelet keys them. */
    private readonly keyPrefix: string,
    private readonly host: PullHost,
  ) {}

  /** The image, or undefined when it cannot be had now (the host is then waiting and a retry is scheduled). */
  pull(c: Container): PulledImage | undefined {
    const image = c.image ?? '';
    const key = `${this.keyPrefix}${image}`;
    if (this.lastFailure && this.backoff.inBackOffSince(key, this.lastFailure, Date.now())) {
      this.host.later(this.backoff.endsAt(key, this.lastFailure) - Date.now() + 1, () => this.host.retry());
      return undefined;
    }
    const always = c.imagePullPolicy === 'Always';
    if (always) this.host.event('Normal', 'Pulling', `Pulling image "${image}"`);
    const began = Date.now();
    const result = this.images.pull(image);
    if (!result.ok) {
      this.failed(image, key, result.message);
      return undefined;
    }
    this.lastFailure = 0;
    this.backoff.reset(key);
    if (always) {
      const took = formatGoDuration(Date.now() - began || 1);
      this.host.event(
        'Normal',
        'Pulled',
        `Successfully pulled image "${image}" in ${took} (${took} including waiting). Image size: 0 bytes.`,
      );
    } else this.host.event('Normal', 'Pulled', `Container image "${image}" already present on machine`);
    return result.image;
  }

  private failed(image: string, key: string, why: string): void {
    const message = `Failed to pull image "${image}": ${why}`;
    this.host.event('Warning', 'Failed', message);
    this.host.event('Warning', 'Failed', 'Error: ErrImagePull');
    this.lastFailure = Date.now();
    this.backoff.next(key, this.lastFailure);
    this.host.setWaiting('ErrImagePull', message);
    const delay = this.backoff.get(key);
    // A cluster shows ErrImagePull briefly, then ImagePullBackOff until the next attempt.
    this.host.later(Math.min(1000, delay / 2), () => {
      this.host.event('Normal', 'BackOff', `Back-off pulling image "${image}"`);
      this.host.event('Warning', 'Failed', 'Error: ImagePullBackOff');
      this.host.setWaiting('ImagePullBackOff', `Back-off pulling image "${image}": ErrImagePull: ${why}`);
    });
    this.host.later(delay + 1, () => this.host.retry());
  }
}
