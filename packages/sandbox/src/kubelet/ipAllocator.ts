/**
 * Pod IPs from 127.1.0.0/16. Linux routes all of 127.0.0.0/8 to the loopback interface, so each pod
 * can bind its container ports on an address of its own, as pods on a cluster network do.
 */

/** The pod network, as a Node's spec.podCIDR shows it. */
export const POD_CIDR = '127.1.0.0/16';

/** Hands out and takes back pod IPs. Next-fit: a released address is reused last, so stale clients do not reach a new pod. */
export class IpAllocator {
  /** 127.1.x.y for x in 0..255 and y in 1..254 (no .0 or .255 host parts). */
  static readonly SIZE = 256 * 254;

  private readonly used = new Set<number>();
  private cursor: number;

  /**
   * `start` is the index of the first address handed out. Sandboxes on one machine share the
   * loopback, so by default each starts at a random place to make two of them unlikely to collide.
   */
  constructor(start: number = Math.floor(Math.random() * IpAllocator.SIZE)) {
    this.cursor = ((Math.floor(start) % IpAllocator.SIZE) + IpAllocator.SIZE) % IpAllocator.SIZE;
  }

  private static address(index: number): string {
    return `127.1.${Math.floor(index / 254)}.${(index % 254) + 1}`;
  }

  /** A free address; throws when all 65,024 are taken. */
  allocate(): string {
    for (let i = 0; i < IpAllocator.SIZE; i++) {
      const index = (this.cursor + i) % IpAllocator.SIZE;
      if (!this.used.has(index)) {
        this.used.add(index);
        this.cursor = (index + 1) % IpAllocator.SIZE;
        return IpAllocator.address(index);
      }
    }
    throw new Error(`no free pod IP left in ${POD_CIDR}`);
  }

  /** Gives an address back; unknown addresses are ignored. */
  release(ip: string): void {
    const m = /^127\.1\.(\d+)\.(\d+)$/.exec(ip);
    if (!m) return;
    this.used.delete(Number(m[1]) * 254 + Number(m[2]) - 1);
  }

  /** How many addresses are in use. */
  get inUse(): number {
    return this.used.size;
  }
}
