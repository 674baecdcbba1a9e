/**
 * Pod IPs from a /16 that is local to this machine. On the home-made control plane that is
 * 127.1.0.0/16 (Linux routes all of 127.0.0.0/8 to the loopback interface); the real kube-apiserver
 * refuses loopback addresses in EndpointSlices, so there pods get 10.244.1.1 and up, made local by the
 * route `local 10.244.0.0/16 dev lo` (10.244.0.0/24 is kept for the control plane). Either way each pod
 * binds its container ports on an address of its own, as pods on a cluster network do.
 */

/** A pod network: the /16 (`a.b`), and the first third octet pods may use. */
export interface PodNetwork {
  /** As a Node's spec.podCIDR shows it. */
  cidr: string;
  /** The first two octets: `127.1`. */
  prefix: string;
  /** Third octets below this are not handed out. */
  firstBlock: number;
}

export const LOOPBACK_POD_NETWORK: PodNetwork = { cidr: '127.1.0.0/16', prefix: '127.1', firstBlock: 0 };
export const ROUTED_POD_NETWORK: PodNetwork = { cidr: '10.244.0.0/16', prefix: '10.244', firstBlock: 1 };

/** The home-made control plane's pod network. */
export const POD_CIDR = LOOPBACK_POD_NETWORK.cidr;

/** Hands out and takes back pod IPs. Next-fit: a released address is reused last, so stale clients do not reach a new pod. */
export class IpAllocator {
  /** Addresses of the loopback network: 127.1.x.y for x in 0..255 and y in 1..254 (no .0 or .255 host parts). */
  static readonly SIZE = 256 * 254;

  readonly size: number;
  private readonly used = new Set<number>();
  private cursor: number;

  /**
   * `start` is the index of the first address handed out. Sandboxes on one machine share the
   * network, so by default each starts at a random place to make two of them unlikely to collide.
   */
  constructor(
    start?: number,
    readonly network: PodNetwork = LOOPBACK_POD_NETWORK,
  ) {
    this.size = (256 - network.firstBlock) * 254;
    const first = start ?? Math.floor(Math.random() * this.size);
    this.cursor = ((Math.floor(first) % this.size) + this.size) % this.size;
  }

  private address(index: number): string {
    return `${this.network.prefix}.${this.network.firstBlock + Math.floor(index / 254)}.${(index % 254) + 1}`;
  }

  /** A free address; throws when all are taken. */
  allocate(): string {
    for (let i = 0; i < this.size; i++) {
      const index = (this.cursor + i) % this.size;
      if (!this.used.has(index)) {
        this.used.add(index);
        this.cursor = (index + 1) % this.size;
        return this.address(index);
      }
    }
    throw new Error(`no free pod IP left in ${this.network.cidr}`);
  }

  /** Gives an address back; unknown addresses are ignored. */
  release(ip: string): void {
    if (!ip.startsWith(`${this.network.prefix}.`)) return;
    const m = /^(\d+)\.(\d+)$/.exec(ip.slice(this.network.prefix.length + 1));
    if (!m) return;
    this.used.delete((Number(m[1]) - this.network.firstBlock) * 254 + Number(m[2]) - 1);
  }

  /** How many addresses are in use. */
  get inUse(): number {
    return this.used.size;
  }
}
