/**
 * One keep-alive connection pool per cluster. @kubernetes/client-node 1.4 builds a new https.Agent for
 * every request (KubeConfig.createAgent), so every request pays a TLS handshake; the API's creates went
 * from 260 ms to 99 ms median under 50 clients with a shared agent. The method is private in its types,
 * so it is wrapped here, in one place.
 */
import { createHash } from 'node:crypto';
import type { Agent } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';

type CreateAgent = (cluster: { server?: string; proxyUrl?: string } | null, options: Record<string, unknown>) => Agent;

/** Makes `kc` reuse agents (keep-alive) per cluster and TLS settings; returns the function that destroys them. */
export function shareAgents(kc: KubeConfig): () => void {
  const holder = kc as unknown as { createAgent: CreateAgent };
  const original = holder.createAgent.bind(kc);
  const agents = new Map<string, Agent>();
  holder.createAgent = (cluster, options) => {
    const key = createHash('sha256')
      .update(JSON.stringify({ server: cluster?.server, proxy: cluster?.proxyUrl, options }))
      .digest('hex');
    let agent = agents.get(key);
    if (!agent) {
      agent = original(cluster, { ...options, keepAlive: true });
      agents.set(key, agent);
    }
    return agent;
  };
  return () => {
    for (const a of agents.values()) a.destroy();
    agents.clear();
  };
}
