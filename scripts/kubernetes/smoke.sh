#!/usr/bin/env bash
# Smoke test of the binaries that build.sh put in the cache: starts etcd, kube-apiserver, kube-controller-manager
# and kube-scheduler on this machine (loopback, plus the locally routed 10.244.0.0/16 and 10.96.0.0/16), checks
# that kubectl and helm reach the API server, that namespaces get their `default` ServiceAccount and the
# `kube-root-ca.crt` ConfigMap, that the scheduler looks at pods, and that the Gateway API CRDs install; keeps the
# control plane up for DURATION seconds (default 120) checking it stays healthy, then stops everything it started.
#
#   bash scripts/kubernetes/smoke.sh [DURATION]      (root: it adds the two local routes if they are missing)
#
# Needs: a complete cache (bash scripts/kubernetes/build.sh), openssl, curl, kubectl, python3 (for free ports).
# The flags used here are the ones README.md documents under "Starting the control plane".
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
duration=${1:-120}
log() { printf '[kubernetes-smoke] %s\n' "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

bash "$here/build.sh" --check || die "the cache is not complete: run bash scripts/kubernetes/build.sh"
cache=$(bash "$here/build.sh" --print-dir)
bin=$cache/bin
command -v kubectl >/dev/null || die "no kubectl"

work=$(mktemp -d /tmp/ramp-kube-smoke.XXXXXX)
pids=()
routes=()
# Stop in reverse order of start: kube-apiserver's graceful shutdown hangs for minutes retrying etcd if etcd
# goes first. Each process gets SIGTERM and 20 s, then SIGKILL.
stop() {
  local p=$1 i
  kill "$p" 2>/dev/null || return 0
  for ((i = 0; i < 40; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.5; done
  kill -KILL "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
}
cleanup() {
  local rc=$? i r
  local t=$SECONDS
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do stop "${pids[i]}"; done
  [ "${#pids[@]}" -eq 0 ] || log "stopped ${#pids[@]} processes in $((SECONDS - t))s"
  for r in "${routes[@]}"; do ip route del local "$r" dev lo 2>/dev/null || true; done
  if [ "$rc" = 0 ] && [ -z "${KEEP:-}" ]; then rm -rf "$work"; else log "logs and certificates kept in $work"; fi
}
trap cleanup EXIT

# Addresses: the API server advertises 10.244.0.1 (it refuses loopback addresses for the `kubernetes` Service's
# endpoints), and Service ClusterIPs come from 10.96.0.0/16. Both ranges are routed to `lo`, so that the advertise
# address is an address of this machine and nothing sent to a ClusterIP leaves it.
for r in 10.244.0.0/16 10.96.0.0/16; do
  if ! ip route show table local | grep -q "^local $r dev lo"; then
    ip route add local "$r" dev lo || die "cannot add route local $r dev lo (root needed)"
    routes+=("$r")
  fi
done
advertise=10.244.0.1

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
etcd_client=$(free_port); etcd_peer=$(free_port); api=$(free_port); kcm=$(free_port); sched=$(free_port)

# --- certificates and keys --------------------------------------------------------------------------------------
pki=$work/pki
mkdir -p "$pki"
(
  cd "$pki"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj "/CN=ramp-sandbox-ca" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr -subj "/CN=kube-apiserver" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,IP:%s,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\nextendedKeyUsage=serverAuth\n' "$advertise" >apiserver.ext
  openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out apiserver.crt -days 2 -extfile apiserver.ext 2>/dev/null
  openssl genrsa -out sa.key 2048 2>/dev/null
  openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
)
admin_token=$(openssl rand -hex 16); kcm_token=$(openssl rand -hex 16); sched_token=$(openssl rand -hex 16)
# token,user,uid,"groups": the controller-manager and scheduler users are the ones the default RBAC binds.
cat >"$pki/tokens.csv" <<EOF
$admin_token,admin,admin,"system:masters"
$kcm_token,system:kube-controller-manager,system:kube-controller-manager
$sched_token,system:kube-scheduler,system:kube-scheduler
EOF
kubeconfig() { # NAME TOKEN
  kubectl config --kubeconfig="$work/$1.kubeconfig" set-cluster sandbox --server="https://127.0.0.1:$api" --certificate-authority="$pki/ca.crt" --embed-certs=true >/dev/null
  kubectl config --kubeconfig="$work/$1.kubeconfig" set-credentials "$1" --token="$2" >/dev/null
  kubectl config --kubeconfig="$work/$1.kubeconfig" set-context sandbox --cluster=sandbox --user="$1" >/dev/null
  kubectl config --kubeconfig="$work/$1.kubeconfig" use-context sandbox >/dev/null
}
kubeconfig admin "$admin_token"
kubeconfig controller-manager "$kcm_token"
kubeconfig scheduler "$sched_token"
k() { kubectl --kubeconfig="$work/admin.kubeconfig" "$@"; }

wait_for() { # WHAT SECONDS COMMAND...
  local what=$1 t=$2 i; shift 2
  for ((i = 0; i < t * 2; i++)); do
    if "$@" >/dev/null 2>&1; then log "$what ready after $((i / 2))s"; return 0; fi
    sleep 0.5
  done
  die "$what not ready after ${t}s"
}
alive() { local p; for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || return 1; done; }

# --- etcd ---------------------------------------------------------------------------------------------------------
"$bin/etcd" --name=sandbox --data-dir="$work/etcd" \
  --listen-client-urls="http://127.0.0.1:$etcd_client" --advertise-client-urls="http://127.0.0.1:$etcd_client" \
  --listen-peer-urls="http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls="http://127.0.0.1:$etcd_peer" \
  --initial-cluster="sandbox=http://127.0.0.1:$etcd_peer" --log-level=warn \
  >"$work/etcd.log" 2>&1 &
pids+=($!)
wait_for etcd 30 curl -fsS "http://127.0.0.1:$etcd_client/health"

# --- kube-apiserver -----------------------------------------------------------------------------------------------
"$bin/kube-apiserver" \
  --etcd-servers="http://127.0.0.1:$etcd_client" \
  --bind-address=127.0.0.1 --secure-port="$api" --advertise-address="$advertise" \
  --cert-dir="$work/apiserver-certs" --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
  --client-ca-file="$pki/ca.crt" --token-auth-file="$pki/tokens.csv" \
  --authorization-mode=Node,RBAC \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-signing-key-file="$pki/sa.key" --service-account-key-file="$pki/sa.pub" \
  --service-cluster-ip-range=10.96.0.0/16 \
  >"$work/kube-apiserver.log" 2>&1 &
pids+=($!)
wait_for kube-apiserver 90 curl -fsS --cacert "$pki/ca.crt" -H "Authorization: Bearer $admin_token" "https://127.0.0.1:$api/readyz"

log "kubectl get ns (insecure, token):"
kubectl --server "https://127.0.0.1:$api" --insecure-skip-tls-verify --token "$admin_token" get ns >&2 || die "kubectl get ns"
log "server version: $(k version -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["serverVersion"]["gitVersion"])')"
log "kubernetes endpoints: $(k get endpointslices -n default -l kubernetes.io/service-name=kubernetes -o jsonpath='{.items[0].endpoints[0].addresses[0]}:{.items[0].ports[0].port}')"

# --- kube-controller-manager and kube-scheduler -------------------------------------------------------------------
"$bin/kube-controller-manager" \
  --kubeconfig="$work/controller-manager.kubeconfig" \
  --authentication-kubeconfig="$work/controller-manager.kubeconfig" --authorization-kubeconfig="$work/controller-manager.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port="$kcm" --cert-dir="$work/kcm-certs" \
  --leader-elect=false --use-service-account-credentials=true \
  --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
  --cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key" \
  --service-cluster-ip-range=10.96.0.0/16 \
  >"$work/kube-controller-manager.log" 2>&1 &
pids+=($!)
"$bin/kube-scheduler" \
  --kubeconfig="$work/scheduler.kubeconfig" \
  --authentication-kubeconfig="$work/scheduler.kubeconfig" --authorization-kubeconfig="$work/scheduler.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port="$sched" --cert-dir="$work/scheduler-certs" \
  --leader-elect=false \
  >"$work/kube-scheduler.log" 2>&1 &
pids+=($!)
wait_for kube-controller-manager 60 curl -fsSk "https://127.0.0.1:$kcm/healthz"
wait_for kube-scheduler 60 curl -fsSk "https://127.0.0.1:$sched/healthz"

k create namespace smoke >/dev/null
for ns in default smoke; do
  wait_for "serviceaccount $ns/default" 60 k -n "$ns" get serviceaccount default
  wait_for "configmap $ns/kube-root-ca.crt" 60 k -n "$ns" get configmap kube-root-ca.crt
done
k -n smoke get configmap kube-root-ca.crt -o jsonpath='{.data.ca\.crt}' | cmp -s - "$pki/ca.crt" || die "kube-root-ca.crt is not the cluster CA"

# No kubelet: a pod stays Pending, and the scheduler says why.
k -n smoke run smoke --image=registry.invalid/none:0 --restart=Never >/dev/null
wait_for "scheduler's FailedScheduling event" 60 bash -c "kubectl --kubeconfig='$work/admin.kubeconfig' -n smoke get events --field-selector reason=FailedScheduling -o name | grep -q ."
log "scheduler: $(k -n smoke get events --field-selector reason=FailedScheduling -o jsonpath='{.items[0].message}')"

# A Deployment gets its ReplicaSet and pod from the controller-manager.
k -n smoke create deployment web --image=registry.invalid/none:0 --replicas=2 >/dev/null
wait_for "deployment smoke/web's 2 pods" 60 bash -c "[ \"\$(kubectl --kubeconfig='$work/admin.kubeconfig' -n smoke get pods -l app=web -o name | wc -l)\" = 2 ]"

k apply --server-side -f "$cache/crds/gateway-api/" >/dev/null
wait_for "Gateway API CRDs established" 60 k wait --for=condition=Established --timeout=5s crd/gateways.gateway.networking.k8s.io crd/httproutes.gateway.networking.k8s.io
log "CRDs: $(k get crd -o name | tr '\n' ' ')"
log "helm: $("$bin/helm" version --short) lists $("$bin/helm" --kubeconfig "$work/admin.kubeconfig" list -A -o json) releases"

log "running for ${duration}s …"
end=$((SECONDS + duration))
while [ "$SECONDS" -lt "$end" ]; do
  alive || die "a control-plane process exited; see $work/*.log"
  curl -fsS --cacert "$pki/ca.crt" -H "Authorization: Bearer $admin_token" "https://127.0.0.1:$api/readyz" >/dev/null || die "kube-apiserver not ready"
  sleep 5
done
k get ns >&2
log "passed: etcd, kube-apiserver, kube-controller-manager, kube-scheduler ran ${duration}s"
