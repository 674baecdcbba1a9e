/**
 * The command lines of etcd, kube-apiserver, kube-controller-manager and kube-scheduler for the sandbox
 * (the flags scripts/kubernetes/README.md documents as working), and how each one is known to be ready.
 */
import { request } from 'node:https';
import { join } from 'node:path';
import { CONTROL_PLANE_ADDRESS, SERVICE_NETWORK } from './network';
import type { ControlPlanePki } from './pki';

/** The service-account issuer, as in a kubeadm cluster. */
export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

export interface EtcdPorts {
  client: number;
  peer: number;
}

export function etcdArgs(work: string, p: EtcdPorts): string[] {
  const client = `http://127.0.0.1:${p.client}`;
  const peer = `http://127.0.0.1:${p.peer}`;
  return [
    '--name=sandbox',
    `--data-dir=${join(work, 'etcd')}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=sandbox=${peer}`,
    '--log-level=warn',
    // A sandbox's etcd is small and short-lived: no need for the 100k-revision default history.
    '--auto-compaction-retention=5m',
  ];
}

export function apiServerArgs(work: string, pki: ControlPlanePki, etcdClientPort: number, port: number): string[] {
  const f = pki.files;
  return [
    `--etcd-servers=http://127.0.0.1:${etcdClientPort}`,
    `--bind-address=${CONTROL_PLANE_ADDRESS}`,
    `--secure-port=${port}`,
    `--advertise-address=${CONTROL_PLANE_ADDRESS}`,
    `--cert-dir=${join(work, 'apiserver-certs')}`,
    `--tls-cert-file=${f.apiServerCert}`,
    `--tls-private-key-file=${f.apiServerKey}`,
    `--client-ca-file=${f.caCert}`,
    `--token-auth-file=${f.tokens}`,
    '--authorization-mode=Node,RBAC',
    '--enable-admission-plugins=NodeRestriction',
    `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
    `--service-account-signing-key-file=${f.saKey}`,
    `--service-account-key-file=${f.saPub}`,
    `--service-cluster-ip-range=${SERVICE_NETWORK}`,
    // `kubectl logs` goes through the API server to the kubelet's own HTTPS server, on the node's InternalIP.
    `--kubelet-client-certificate=${f.kubeletClientCert}`,
    `--kubelet-client-key=${f.kubeletClientKey}`,
    `--kubelet-certificate-authority=${f.caCert}`,
    '--kubelet-preferred-address-types=InternalIP',
  ];
}

export function controllerManagerArgs(work: string, pki: ControlPlanePki, kubeconfig: string, port: number): string[] {
  const f = pki.files;
  return [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
    `--cert-dir=${join(work, 'kcm-certs')}`,
    '--leader-elect=false',
    '--use-service-account-credentials=true',
    `--service-account-private-key-file=${f.saKey}`,
    `--root-ca-file=${f.caCert}`,
    `--cluster-signing-cert-file=${f.caCert}`,
    `--cluster-signing-key-file=${f.caKey}`,
    `--service-cluster-ip-range=${SERVICE_NETWORK}`,
    // How often the node lifecycle controller looks at nodes (default 5 s): a new node loses its
    // not-ready taint, and becomes schedulable, within a second of reporting Ready.
    '--node-monitor-period=1s',
  ];
}

export function schedulerArgs(work: string, kubeconfig: string, port: number): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
    `--cert-dir=${join(work, 'scheduler-certs')}`,
    '--leader-elect=false',
  ];
}

/** GET over HTTPS; resolves with the status and body. `ca` undefined: the component's self-signed certificate. */
export function httpsGet(url: string, opts: { ca?: string; token?: string; timeoutMs?: number } = {}) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      url,
      {
        ca: opts.ca,
        // The controller-manager's and scheduler's health endpoints serve a certificate they made themselves.
        rejectUnauthorized: opts.ca !== undefined,
        headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {},
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.setTimeout(opts.timeoutMs ?? 2000, () => req.destroy(new Error(`timeout: ${url}`)));
    req.end();
  });
}

/** `/healthz` (or `/readyz`) answers 200 "ok". */
export async function healthy(url: string, opts: { ca?: string; token?: string } = {}): Promise<boolean> {
  const r = await httpsGet(url, opts);
  return r.status === 200 && r.body.trim() === 'ok';
}
