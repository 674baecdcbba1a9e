/**
 * The real control plane's credentials, made fresh for every sandbox: a CA, kube-apiserver's serving
 * certificate (for the loopback, the control-plane address, the `kubernetes` Service's ClusterIP and its DNS
 * names), the service-account signing key pair, the kubelet's serving certificate and the client
 * certificate kube-apiserver shows the kubelet (for `kubectl logs`), and one static token per user.
 * Keys come from node:crypto (native, generated in parallel off the main thread); certificates are built
 * and signed with node-forge.
 */
import { generateKeyPair, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';
import { CONTROL_PLANE_ADDRESS } from './network';

/** The first address of the Service range: the `kubernetes` Service's ClusterIP. */
export const KUBERNETES_SERVICE_IP = '10.96.0.1';

export interface KeyPair {
  key: string;
  cert: string;
}

/** Users with static tokens: the admin (system:masters), the components and the sandbox's node agents. */
export interface ControlPlaneTokens {
  admin: string;
  controllerManager: string;
  scheduler: string;
  /** The kubelet: system:node:<node> in system:nodes, so the Node authorizer and NodeRestriction apply. */
  node: string;
  /** The gateway and the Prometheus discovery: read-only on what they route and scrape. */
  gateway: string;
}

export interface ControlPlanePki {
  dir: string;
  caCert: string;
  apiServer: KeyPair;
  kubelet: KeyPair;
  kubeletClient: KeyPair;
  tokens: ControlPlaneTokens;
  files: {
    caCert: string;
    caKey: string;
    apiServerCert: string;
    apiServerKey: string;
    kubeletClientCert: string;
    kubeletClientKey: string;
    saKey: string;
    saPub: string;
    tokens: string;
  };
}

/** The user the gateway and Prometheus discovery authenticate as (granted read access by RBAC). */
export const GATEWAY_USER = 'ramp-sandbox:gateway';

interface RsaKeys {
  privatePem: string;
  publicPem: string;
  forgeKey: forge.pki.rsa.PrivateKey;
}

function rsa(): Promise<RsaKeys> {
  return new Promise((resolve, reject) =>
    generateKeyPair(
      'rsa',
      {
        modulusLength: 2048,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      },
      (err, publicKey, privateKey) =>
        err
          ? reject(err)
          : resolve({
              privatePem: privateKey,
              publicPem: publicKey,
              forgeKey: forge.pki.privateKeyFromPem(privateKey),
            }),
    ),
  );
}

function serial(): string {
  return '01' + randomBytes(15).toString('hex');
}

type AltName = { type: 2; value: string } | { type: 7; ip: string };

function altNames(hosts: string[]): AltName[] {
  return hosts.map((h) => (/^\d+\.\d+\.\d+\.\d+$/.test(h) ? { type: 7, ip: h } : { type: 2, value: h }));
}

interface CertInput {
  subject: forge.pki.CertificateField[];
  publicPem: string;
  issuer: forge.pki.CertificateField[];
  signer: forge.pki.rsa.PrivateKey;
  extensions: object[];
}

function certificate(c: CertInput): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(c.publicPem);
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.now() - 60 * 60 * 1000);
  cert.validity.notAfter = new Date(Date.now() + 365 * 24 * 60 * 60 * 1000);
  cert.setSubject(c.subject);
  cert.setIssuer(c.issuer);
  cert.setExtensions(c.extensions);
  cert.sign(c.signer, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

function leaf(
  ca: { name: forge.pki.CertificateField[]; key: forge.pki.rsa.PrivateKey },
  keys: RsaKeys,
  subject: forge.pki.CertificateField[],
  usage: { server?: string[]; client?: true },
): KeyPair {
  const extensions: object[] = [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: !!usage.server, clientAuth: !!usage.client },
  ];
  if (usage.server) extensions.push({ name: 'subjectAltName', altNames: altNames(usage.server) });
  return {
    key: keys.privatePem,
    cert: certificate({ subject, publicPem: keys.publicPem, issuer: ca.name, signer: ca.key, extensions }),
  };
}

function token(): string {
  return randomBytes(24).toString('base64url');
}

/** Writes every credential into `dir` (owner-only) and the token file kube-apiserver reads; returns them. */
export async function createControlPlanePki(dir: string, nodeName: string): Promise<ControlPlanePki> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const [caKeys, apiKeys, kubeletKeys, clientKeys, sa] = await Promise.all([rsa(), rsa(), rsa(), rsa(), rsa()]);
  const caName = [{ name: 'commonName', value: 'ramp-sandbox-kubernetes-ca' }];
  const caCert = certificate({
    subject: caName,
    publicPem: caKeys.publicPem,
    issuer: caName,
    signer: caKeys.forgeKey,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
      { name: 'subjectKeyIdentifier' },
    ],
  });
  const ca = { name: caName, key: caKeys.forgeKey };
  const apiServer = leaf(ca, apiKeys, [{ name: 'commonName', value: 'kube-apiserver' }], {
    server: [
      '127.0.0.1',
      CONTROL_PLANE_ADDRESS,
      KUBERNETES_SERVICE_IP,
      'localhost',
      'kubernetes',
      'kubernetes.default',
      'kubernetes.default.svc',
      'kubernetes.default.svc.cluster.local',
    ],
  });
  const kubelet = leaf(ca, kubeletKeys, [{ name: 'commonName', value: `system:node:${nodeName}` }], {
    server: [CONTROL_PLANE_ADDRESS, '127.0.0.1', nodeName],
  });
  const kubeletClient = leaf(
    ca,
    clientKeys,
    [
      { name: 'commonName', value: 'kube-apiserver-kubelet-client' },
      { name: 'organizationName', value: 'system:masters' },
    ],
    { client: true },
  );
  const tokens: ControlPlaneTokens = {
    admin: token(),
    controllerManager: token(),
    scheduler: token(),
    node: token(),
    gateway: token(),
  };
  const files = {
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    apiServerCert: join(dir, 'apiserver.crt'),
    apiServerKey: join(dir, 'apiserver.key'),
    kubeletClientCert: join(dir, 'apiserver-kubelet-client.crt'),
    kubeletClientKey: join(dir, 'apiserver-kubelet-client.key'),
    saKey: join(dir, 'sa.key'),
    saPub: join(dir, 'sa.pub'),
    tokens: join(dir, 'tokens.csv'),
  };
  const write = (path: string, text: string): void => writeFileSync(path, text, { mode: 0o600 });
  write(files.caCert, caCert);
  write(files.caKey, caKeys.privatePem);
  write(files.apiServerCert, apiServer.cert);
  write(files.apiServerKey, apiServer.key);
  write(files.kubeletClientCert, kubeletClient.cert);
  write(files.kubeletClientKey, kubeletClient.key);
  write(files.saKey, sa.privatePem);
  write(files.saPub, sa.publicPem);
  // token,user,uid,"groups" (kube-apiserver --token-auth-file). The admin comes first: `sandboxToken()` reads it.
  write(
    files.tokens,
    [
      `${tokens.admin},sandbox-admin,sandbox-admin,"system:masters"`,
      `${tokens.controllerManager},system:kube-controller-manager,system:kube-controller-manager`,
      `${tokens.scheduler},system:kube-scheduler,system:kube-scheduler`,
      `${tokens.node},system:node:${nodeName},system:node:${nodeName},"system:nodes"`,
      `${tokens.gateway},${GATEWAY_USER},${GATEWAY_USER}`,
    ].join('\n') + '\n',
  );
  return { dir, caCert, apiServer, kubelet, kubeletClient, tokens, files };
}
