/**
 * Preloaded (`node --require`) into Node.js containers that listen on the wildcard address, as a program
 * in a container should (`--host=0.0.0.0`). On a cluster each pod has a network namespace of its own, so
 * two pods may both listen on 0.0.0.0:8080; here pods are processes on one machine, so the second would
 * get EADDRINUSE (and an upgrade's surge pod beside the old one always would). What a network namespace
 * gives — a port space per pod — is given instead by turning a wildcard listen into a listen on the pod's
 * own address ($POD_IP): the pod answers on its IP, probes and the gateway reach it, and nothing else.
 */
import net from 'node:net';

const WILDCARDS = new Set(['', '0.0.0.0', '::', '::0']);

type ListenArgs = Parameters<net.Server['listen']>;

/** The same listen with a wildcard (or absent) host replaced by `podIP`; anything else as given. */
export function podListenArgs(args: readonly unknown[], podIP: string): unknown[] {
  const [first, second] = args;
  // listen() and listen(callback): any free port on every address.
  if (first === undefined || typeof first === 'function') return [0, podIP, ...args.slice(first === undefined ? 1 : 0)];
  const isPort = typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first));
  if (isPort) {
    // listen(port[, host][, backlog][, callback]): a host is a string in second place.
    if (typeof second === 'string') return WILDCARDS.has(second) ? [first, podIP, ...args.slice(2)] : [...args];
    return [first, podIP, ...args.slice(1)];
  }
  if (first !== null && typeof first === 'object' && !(first instanceof net.Server)) {
    const o = first as net.ListenOptions;
    // A Unix socket (path) or an inherited handle has no address to choose.
    if (o.path !== undefined || (o.port === undefined && o.host === undefined)) return [...args];
    if (o.host === undefined || WILDCARDS.has(o.host)) return [{ ...o, host: podIP }, ...args.slice(1)];
  }
  return [...args];
}

/** Patches net.Server#listen for this process when $POD_IP is set (the kubelet sets it in every container). */
export function installPodNetwork(podIP: string | undefined = process.env.POD_IP): void {
  if (!podIP) return;
  const listen = net.Server.prototype.listen;
  net.Server.prototype.listen = function (this: net.Server, ...args: ListenArgs): net.Server {
    return listen.apply(this, podListenArgs(args, podIP) as ListenArgs);
  } as net.Server['listen'];
}

installPodNetwork();
