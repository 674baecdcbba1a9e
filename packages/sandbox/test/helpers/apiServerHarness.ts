/** An API server alone (no kubelet, no controllers) in this process, with a kubeconfig for real clients. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TokenAuthenticator, writeAdminTokenFile } from '../../src/apiServer/auth';
import { createServingCertificates } from '../../src/apiServer/certificates';
import { Registry } from '../../src/apiServer/registry';
import { ApiServer } from '../../src/apiServer/server';
import { ObjectStore, type StoreOptions } from '../../src/apiServer/store';
import { writeKubeconfig } from '../../src/kubeconfig';

export interface ApiHarness {
  dir: string;
  registry: Registry;
  server: ApiServer;
  kubeconfig: string;
  token: string;
  caPem: string;
  close(): Promise<void>;
}

let certs: ReturnType<typeof createServingCertificates> | undefined;

export async function startApiServer(
  opts: { store?: StoreOptions; bookmarkIntervalMs?: number } = {},
): Promise<ApiHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'ramp-api-'));
  certs ??= createServingCertificates();
  const token = writeAdminTokenFile(join(dir, 'tokens.csv'));
  const registry = new Registry(new ObjectStore(opts.store));
  const server = new ApiServer({
    registry,
    auth: TokenAuthenticator.fromFile(join(dir, 'tokens.csv')),
    tls: certs,
    bookmarkIntervalMs: opts.bookmarkIntervalMs,
    onInternalError: (err) => {
      throw err;
    },
  });
  const url = await server.listen();
  const kubeconfig = join(dir, 'kubeconfig');
  writeKubeconfig(kubeconfig, { server: url, caPem: certs.caCert, token });
  return {
    dir,
    registry,
    server,
    kubeconfig,
    token,
    caPem: certs.caCert,
    close: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
