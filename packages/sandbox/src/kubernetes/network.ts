/**
 * Addresses on the real control plane. kube-apiserver refuses loopback addresses in Endpoints and
 * EndpointSlices, so pods get 10.244.0.0/16 addresses, made local to this machine by the route
 * `local 10.244.0.0/16 dev lo` (any process may then bind them); the Service ClusterIP range is routed
 * locally too, so nothing sent to a ClusterIP leaves the machine. The routes are added when missing (root)
 * and left in place: sandboxes running side by side share them.
 */
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { SandboxError } from '../errors/sandboxError';

/** The pod network. 10.244.0.0/24 is kept for the control plane; pods get 10.244.1.1 and up. */
export const POD_NETWORK = '10.244.0.0/16';
/** Service ClusterIPs (kube-apiserver --service-cluster-ip-range). */
export const SERVICE_NETWORK = '10.96.0.0/16';
/** Where kube-apiserver and the kubelet's own server listen, and what the `kubernetes` Service's endpoints say. */
export const CONTROL_PLANE_ADDRESS = '10.244.0.1';

export const LOCAL_ROUTES = [POD_NETWORK, SERVICE_NETWORK];

/** The one-line fix when the routes are missing and we may not add them. */
export function routeCommand(ranges: readonly string[] = LOCAL_ROUTES): string {
  return ranges.map((r) => `sudo ip route add local ${r} dev lo`).join(' && ');
}

/** True when a process may bind `address` (it is an address of this machine). */
export function canBind(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(0, address, () => srv.close(() => resolve(true)));
  });
}

function routePresent(range: string): boolean {
  try {
    const out = execFileSync('ip', ['-4', 'route', 'show', 'table', 'local', range], { encoding: 'utf8' });
    return /^local\s/m.test(out);
  } catch {
    return false;
  }
}

export interface LocalRouteOptions {
  /** Default: whether this process runs as root. */
  isRoot?: boolean;
  /** Default: the pod and Service ranges. */
  ranges?: readonly string[];
}

/**
 * Makes the ranges local to this machine, adding the routes when missing (root only). Returns the ranges
 * it added. Throws a SandboxError naming the command to run when it cannot.
 */
export async function ensureLocalRoutes(opts: LocalRouteOptions = {}): Promise<string[]> {
  const isRoot = opts.isRoot ?? process.getuid?.() === 0;
  const ranges = opts.ranges ?? LOCAL_ROUTES;
  const added: string[] = [];
  for (const range of ranges) {
    if (routePresent(range)) continue;
    if (!isRoot) {
      throw new SandboxError(
        `the real control plane needs ${ranges.join(' and ')} routed to this machine and is not root: run \`${routeCommand(ranges)}\` once (or run as root)`,
      );
    }
    try {
      execFileSync('ip', ['route', 'add', 'local', range, 'dev', 'lo'], { stdio: 'pipe' });
      added.push(range);
    } catch (e) {
      if (routePresent(range)) continue; // a sandbox beside us added it first
      throw new SandboxError(
        `cannot add the route local ${range} dev lo (\`${routeCommand([range])}\`): ${(e as Error).message}`,
        { cause: e },
      );
    }
  }
  if (opts.ranges === undefined && !(await canBind(CONTROL_PLANE_ADDRESS))) {
    throw new SandboxError(`${CONTROL_PLANE_ADDRESS} is not an address of this machine: run \`${routeCommand()}\``);
  }
  return added;
}
