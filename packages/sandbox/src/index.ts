/**
 * @ramp/sandbox: a local Kubernetes for trying and testing Ramp — an API server kubectl and
 * @kubernetes/client-node speak to, controllers, a kubelet running pods as processes, a Gateway API
 * gateway, a real Prometheus and Redis — with a demo app and a load generator. What Ramp's CLI, tests
 * and benchmarks use is exported here; they may deep-import internals as `@ramp/sandbox/<path>`.
 */

// The sandbox, in this process or in a background one.
export {
  CONTROL_PLANES,
  NODE_NAME,
  Sandbox,
  readSandboxRecord,
  STATE_FILE,
  type ControlPlaneKind,
  type SandboxOptions,
  type SandboxRecord,
  type SandboxState,
  type SandboxUrls,
} from './sandbox';
export { sandboxStatus, sandboxToken, startDetached, stopSandbox, type UpOptions } from './up';
export { kubeconfigYaml, writeKubeconfig, type KubeconfigInput } from './kubeconfig';

// Its cluster, through either control plane.
export {
  ensureNamespace,
  LEASES,
  type ApiResource,
  type ClusterApi,
  type ClusterEvent,
  type ClusterListOptions,
  type ClusterWatch,
} from './cluster/clusterApi';
export { RegistryCluster } from './cluster/registryCluster';
export { HttpCluster, type HttpClusterOptions } from './cluster/httpCluster';

// The real control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler from scripts/kubernetes).
export {
  findKubernetesBinaries,
  kubernetesBuilt,
  kubernetesCacheDir,
  BUILD_COMMAND,
  type KubernetesBinaries,
} from './kubernetes/binaries';
export { KubernetesControlPlane } from './kubernetes/controlPlane';
export { CONTROL_PLANE_ADDRESS, POD_NETWORK, SERVICE_NETWORK, routeCommand } from './kubernetes/network';

// Its API objects.
export { RESOURCES, apiVersionOf, resource, resourceForKind, type ResourceType } from './apiServer/resources';
export { clone, type KubeObject, type ObjectMeta, type WatchEvent } from './apiServer/types';
export { Registry } from './apiServer/registry';
export { StatusError } from './apiServer/statusError';

// Traffic, metrics and the demo app.
export {
  LoadGenerator,
  type LoadGeneratorOptions,
  type ResponseEvent,
  type ResponseListener,
} from './loadGen/loadGenerator';
export type { LoadReport, RevisionReport } from './loadGen/loadReport';
export { activeTargets, PrometheusQueryError, queryInstant, type InstantSample } from './prometheus/query';
export { createDemoApp, type DemoApp, type DemoAppOptions } from './demoApp/app';
export { startupFromEnv, type DemoConfig, type DemoStartup } from './demoApp/config';
export { DEMO_APP, DEMO_HOST, DEMO_NAMESPACE, demoManifests } from './demoManifests';
export { demoAppMainPath, rampMainPath } from './kubelet/imageRegistry';

// Processes, ports, Redis.
export { ensureRedis, redisAnswers, type EnsureRedisOptions, type RedisHandle } from './redis';
export { isAlive, ProcessTracker } from './util/processes';
export { freePort, waitFor } from './util/ports';
export { createRng, normal, seedFromString, type Rng } from './util/random';
export { createLogger, silentLogger, type Logger, type LoggerOptions } from './util/logger';

// Errors.
export { MissingBinaryError, PortInUseError, SandboxBaseError, SandboxError, ServerProcessExitedError } from './errors';
