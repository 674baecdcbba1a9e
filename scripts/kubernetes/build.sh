#!/usr/bin/env bash
# Builds a real Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler), helm,
# and copies the Gateway API standard CRDs, all from the Go module proxy, into a cache outside the repository:
#   ${RAMP_KUBE_CACHE:-$HOME/.cache/ramp/kubernetes}/<KUBERNETES_VERSION>/{bin,crds/gateway-api}
# Versions: scripts/kubernetes/versions.env (the only place they are written). See scripts/kubernetes/README.md.
#
#   bash scripts/kubernetes/build.sh              build what is missing or wrong; print the cache path on stdout
#   bash scripts/kubernetes/build.sh --check      exit 0 if the cache is complete and verified, 1 if not; builds nothing
#   bash scripts/kubernetes/build.sh --print-dir  print the cache path only
#
# Progress goes to stderr, one line per step, so `dir=$(bash scripts/kubernetes/build.sh)` works.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"

usage() { sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; }
mode=build
case "${1:-}" in
  "") ;;
  --check) mode=check ;;
  --print-dir) mode=print ;;
  -h | --help) usage; exit 0 ;;
  *) usage; exit 2 ;;
esac
[ "$#" -le 1 ] || { usage; exit 2; }

root=${RAMP_KUBE_CACHE:-$HOME/.cache/ramp/kubernetes}
dir=$root/$KUBERNETES_VERSION
if [ "$mode" = print ]; then
  printf '%s\n' "$dir"
  exit 0
fi

log() { printf '[kubernetes] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

kube_tools=(kube-apiserver kube-controller-manager kube-scheduler)
tools=(etcd helm "${kube_tools[@]}")

# The pinned versions, as the stamp records them: the stamp is written last, after every item was verified.
stamp_text() {
  printf 'KUBERNETES_VERSION=%s\nKUBERNETES_STAGING_VERSION=%s\nKUBERNETES_GIT_COMMIT=%s\nETCD_VERSION=%s\nHELM_VERSION=%s\nGATEWAY_API_VERSION=%s\n' \
    "$KUBERNETES_VERSION" "$KUBERNETES_STAGING_VERSION" "$KUBERNETES_GIT_COMMIT" "$ETCD_VERSION" "$HELM_VERSION" "$GATEWAY_API_VERSION"
}
stamp=$dir/.complete

pinned_version() {
  case "$1" in
    etcd) echo "$ETCD_VERSION" ;;
    helm) echo "$HELM_VERSION" ;;
    *) echo "$KUBERNETES_VERSION" ;;
  esac
}

# inputs NAME: the pinned values an item is built from. Recorded beside it (bin/.NAME.inputs, crds/.gateway-api.inputs)
# once it is in place, so that changing any of them in versions.env (e.g. the staging version, which --version does
# not show) rebuilds that item.
inputs() {
  case "$1" in
    etcd) echo "ETCD_VERSION=$ETCD_VERSION" ;;
    helm) echo "HELM_VERSION=$HELM_VERSION" ;;
    crds) echo "GATEWAY_API_VERSION=$GATEWAY_API_VERSION" ;;
    *) printf 'KUBERNETES_VERSION=%s\nKUBERNETES_STAGING_VERSION=%s\nKUBERNETES_GIT_COMMIT=%s\n' \
      "$KUBERNETES_VERSION" "$KUBERNETES_STAGING_VERSION" "$KUBERNETES_GIT_COMMIT" ;;
  esac
}
inputs_file() { if [ "$1" = crds ]; then echo "$dir/crds/.gateway-api.inputs"; else echo "$dir/bin/.$1.inputs"; fi; }
inputs_match() { local f; f=$(inputs_file "$1"); [ -f "$f" ] && [ "$(cat "$f")" = "$(inputs "$1")" ]; }

# verify_tool NAME [PATH]: the binary exists and reports the pinned version.
verify_tool() {
  local name=$1 bin=${2:-$dir/bin/$1} out
  [ -x "$bin" ] || return 1
  case "$name" in
    etcd)
      out=$(timeout 30 "$bin" --version 2>/dev/null) || return 1
      grep -qx "etcd Version: ${ETCD_VERSION#v}" <<<"$out" ;;
    helm)
      # helm wants writable config/cache dirs; keep it away from the caller's.
      out=$(HELM_CONFIG_HOME=/nonexistent HELM_CACHE_HOME=/nonexistent HELM_DATA_HOME=/nonexistent \
        timeout 30 "$bin" version --short 2>/dev/null) || return 1
      [ "$out" = "$HELM_VERSION" ] || [[ "$out" == "$HELM_VERSION+"* ]] ;;
    *)
      out=$(timeout 30 "$bin" --version 2>/dev/null) || return 1
      [ "$out" = "Kubernetes $KUBERNETES_VERSION" ] ;;
  esac
}

crd_dir=$dir/crds/gateway-api
# verify_crds [DIR]: at least one CRD, and every file is from the pinned standard-channel bundle.
verify_crds() {
  local d=${1:-$crd_dir} f n=0
  [ -d "$d" ] || return 1
  for f in "$d"/*.yaml; do
    [ -f "$f" ] || return 1
    grep -q "^    gateway.networking.k8s.io/bundle-version: $GATEWAY_API_VERSION\$" "$f" || return 1
    grep -q '^    gateway.networking.k8s.io/channel: standard$' "$f" || return 1
    n=$((n + 1))
  done
  [ "$n" -gt 0 ]
}

# missing: the items (tool names, "crds") that are absent or wrong.
missing=()
find_missing() {
  missing=()
  local t
  for t in "${tools[@]}"; do inputs_match "$t" && verify_tool "$t" || missing+=("$t"); done
  inputs_match crds && verify_crds || missing+=(crds)
}

if [ "$mode" = check ]; then
  find_missing
  ok=1
  for m in "${missing[@]}"; do log "missing or wrong: $m"; ok=0; done
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$(stamp_text)" ]; then log "no stamp for these versions: $stamp"; ok=0; fi
  [ "$ok" = 1 ] || exit 1
  log "complete: $dir"
  exit 0
fi

mkdir -p "$dir/bin" "$dir/crds"
# One build at a time per cache directory.
exec 9>"$dir/.lock"
flock 9

find_missing
if [ "${#missing[@]}" -eq 0 ]; then
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(stamp_text)" ] || stamp_text >"$stamp"
  log "cache complete and verified, nothing to build: $dir"
  printf '%s\n' "$dir"
  exit 0
fi
log "to build: ${missing[*]}"
rm -f "$stamp"

# The Go toolchain: the machine's own (never a downloaded one), static binaries, paths trimmed, one package
# compiled at a time per core. GOMODCACHE and GOCACHE are left at their defaults so later builds are warm.
GO=$(command -v go || true)
[ -n "$GO" ] || { [ -x /usr/local/go/bin/go ] && GO=/usr/local/go/bin/go; } || die "no go command (install Go 1.26)"
export GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0 GOFLAGS="-trimpath -buildvcs=false" GO111MODULE=on
log "using $("$GO" version) (GOMODCACHE=$("$GO" env GOMODCACHE), GOCACHE=$("$GO" env GOCACHE))"

work=$dir/work
mkdir -p "$work"
tmpfiles=()
cleanup() { [ "${#tmpfiles[@]}" -eq 0 ] || rm -rf "${tmpfiles[@]}"; }
trap cleanup EXIT

# modinfo MODULE@VERSION FIELD: a field (Dir, GoMod, ...) of `go mod download -json`, which also downloads it.
modinfo() {
  local json
  json=$(cd "$work" && "$GO" mod download -json "$1") || die "go mod download $1 failed: $json"
  sed -n "s/^[[:space:]]*\"$2\": \"\(.*\)\",\{0,1\}\$/\1/p" <<<"$json"
}
# goline GOMOD: the `go` and `godebug` lines of a go.mod, so that a wrapper module builds with the same language
# version and GODEBUG defaults as the upstream module.
golines() { grep -E '^(go|godebug) ' "$1"; }

# install_bin NAME TMP: verify the freshly built binary, then move it into place.
install_bin() {
  local name=$1 tmp=$2
  verify_tool "$name" "$tmp" || die "the new $name does not report $(pinned_version "$name"): $("$tmp" --version 2>&1 | head -3 || true)"
  rm -f "$(inputs_file "$name")"
  mv -f "$tmp" "$dir/bin/$name"
  inputs "$name" >"$(inputs_file "$name")"
}

elapsed() { local s=$1; printf '%dm%02ds' $((s / 60)) $((s % 60)); }

contains() { local x=$1; shift; local y; for y in "$@"; do [ "$x" = "$y" ] && return 0; done; return 1; }

# --- Gateway API CRDs -------------------------------------------------------------------------------------------
if contains crds "${missing[@]}"; then
  start=$SECONDS
  log "copying Gateway API $GATEWAY_API_VERSION standard CRDs …"
  src=$(modinfo "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION" Dir)/config/crd/standard
  [ -d "$src" ] || die "no $src"
  tmp=$dir/crds/.gateway-api.tmp.$$
  tmpfiles+=("$tmp")
  rm -rf "$tmp" && mkdir -p "$tmp"
  install -m 0644 "$src"/*.yaml "$tmp/"
  verify_crds "$tmp" || die "the CRDs in $src are not the $GATEWAY_API_VERSION standard bundle"
  rm -f "$(inputs_file crds)"
  rm -rf "$crd_dir" && mv "$tmp" "$crd_dir"
  inputs crds >"$(inputs_file crds)"
  log "copied $(ls "$crd_dir" | wc -l) CRDs to $crd_dir in $(elapsed $((SECONDS - start)))"
fi

# --- etcd ---------------------------------------------------------------------------------------------------------
# A wrapper module that requires go.etcd.io/etcd/server/v3 (whose root package is the etcd main package) and names
# it as a tool, so that `go mod tidy` keeps it. etcd's own replace directives point at sibling directories of its
# repository; its go.mod requires the same versions of those siblings, so the wrapper needs no replace.
if contains etcd "${missing[@]}"; then
  start=$SECONDS
  log "building etcd $ETCD_VERSION …"
  m=$work/etcd
  mkdir -p "$m"
  upstream=$(modinfo "go.etcd.io/etcd/server/v3@$ETCD_VERSION" GoMod)
  {
    echo "// Generated by scripts/kubernetes/build.sh; do not edit."
    echo "module ramp.local/kubernetes-build/etcd"
    echo
    golines "$upstream"
    echo
    echo "require go.etcd.io/etcd/server/v3 $ETCD_VERSION"
    echo
    echo "tool go.etcd.io/etcd/server/v3"
  } >"$m/go.mod"
  (cd "$m" && "$GO" mod tidy >&2)
  tmp=$dir/bin/.etcd.tmp.$$
  tmpfiles+=("$tmp")
  (cd "$m" && "$GO" build -p 2 -ldflags "-s -w" -o "$tmp" go.etcd.io/etcd/server/v3)
  install_bin etcd "$tmp"
  log "built etcd $ETCD_VERSION in $(elapsed $((SECONDS - start)))"
fi

# --- helm ---------------------------------------------------------------------------------------------------------
# helm.sh/helm/v3 has no replace directives, so `go install …@version` builds it with exactly its own go.mod.
# The ldflags are those of helm's Makefile for a tagged release (version, and the Kubernetes version helm assumes
# when it has no cluster: client-go's minor, major 1).
if contains helm "${missing[@]}"; then
  start=$SECONDS
  log "building helm $HELM_VERSION …"
  upstream=$(modinfo "helm.sh/helm/v3@$HELM_VERSION" GoMod)
  cg=$(sed -n 's/^[[:space:]]*k8s\.io\/client-go v0\.\([0-9]*\)\.[0-9].*$/\1/p' "$upstream" | head -1)
  [ -n "$cg" ] || die "cannot read helm's k8s.io/client-go version from $upstream"
  v=helm.sh/helm/v3/internal/version
  ldflags="-s -w -X $v.version=$HELM_VERSION -X $v.metadata= -X $v.gitTreeState=clean"
  for p in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
    ldflags+=" -X $p.k8sVersionMajor=1 -X $p.k8sVersionMinor=$cg"
  done
  gobin=$dir/bin/.helm.tmp.$$
  tmpfiles+=("$gobin")
  mkdir -p "$gobin"
  (cd "$work" && GOBIN=$gobin "$GO" install -p 2 -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION")
  install_bin helm "$gobin/helm"
  log "built helm $HELM_VERSION in $(elapsed $((SECONDS - start)))"
fi

# --- kube-apiserver, kube-controller-manager, kube-scheduler -----------------------------------------------------
# `go install k8s.io/kubernetes/cmd/…@v1.35.4` is refused: k8s.io/kubernetes' go.mod replaces its ~31 staging
# modules (k8s.io/api, k8s.io/client-go, …) with ./staging/src/… directories. The wrapper module requires
# k8s.io/kubernetes and replaces each of those modules, read from that very replace block, with its published
# version (KUBERNETES_STAGING_VERSION); it copies the upstream `go` and `godebug` lines and names the three
# commands as tools so that `go mod tidy` resolves everything they import.
kube_ready=0
prepare_kube_module() {
  [ "$kube_ready" = 0 ] || return 0
  local m=$work/kubernetes upstream staging
  mkdir -p "$m"
  upstream=$(modinfo "k8s.io/kubernetes@$KUBERNETES_VERSION" GoMod)
  staging=$(sed -n 's/^[[:space:]]*\(k8s\.io\/[A-Za-z0-9._-]*\) => \.\/staging\/src\/\1[[:space:]]*$/\1/p' "$upstream")
  [ "$(wc -l <<<"$staging")" -ge 20 ] || die "could not read the staging replace block of $upstream"
  {
    echo "// Generated by scripts/kubernetes/build.sh; do not edit."
    echo "module ramp.local/kubernetes-build/kubernetes"
    echo
    golines "$upstream"
    echo
    echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
    echo
    echo "replace ("
    local s
    for s in $staging; do printf '\t%s => %s %s\n' "$s" "$s" "$KUBERNETES_STAGING_VERSION"; done
    echo ")"
    echo
    echo "tool ("
    local t
    for t in "${kube_tools[@]}"; do printf '\tk8s.io/kubernetes/cmd/%s\n' "$t"; done
    echo ")"
  } >"$m/go.mod"
  log "wrapper module $m/go.mod: k8s.io/kubernetes $KUBERNETES_VERSION, $(wc -l <<<"$staging") staging modules replaced with $KUBERNETES_STAGING_VERSION; go mod tidy …"
  local start=$SECONDS
  (cd "$m" && "$GO" mod tidy >&2)
  log "go mod tidy took $(elapsed $((SECONDS - start)))"
  kube_ready=1
}

# The version variables that Kubernetes' hack/lib/version.sh sets, for both packages it sets them in.
kube_ldflags() {
  local v=${KUBERNETES_VERSION#v} date major minor p out="-s -w"
  major=${v%%.*}; minor=${v#*.}; minor=${minor%%.*}
  date=$(cd "$work" && "$GO" list -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' "k8s.io/kubernetes@$KUBERNETES_VERSION")
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    out+=" -X $p.gitVersion=$KUBERNETES_VERSION -X $p.gitMajor=$major -X $p.gitMinor=$minor"
    out+=" -X $p.gitCommit=$KUBERNETES_GIT_COMMIT -X $p.gitTreeState=clean -X $p.buildDate=$date"
  done
  printf '%s' "$out"
}

for t in "${kube_tools[@]}"; do
  contains "$t" "${missing[@]}" || continue
  prepare_kube_module
  start=$SECONDS
  log "building $t $KUBERNETES_VERSION …"
  tmp=$dir/bin/.$t.tmp.$$
  tmpfiles+=("$tmp")
  (cd "$work/kubernetes" && "$GO" build -p 2 -ldflags "$(kube_ldflags)" -o "$tmp" "k8s.io/kubernetes/cmd/$t")
  install_bin "$t" "$tmp"
  log "built $t $KUBERNETES_VERSION in $(elapsed $((SECONDS - start)))"
done

# --- stamp, written last ------------------------------------------------------------------------------------------
find_missing
[ "${#missing[@]}" -eq 0 ] || die "still missing or wrong after the build: ${missing[*]}"
(cd "$dir/bin" && sha256sum "${tools[@]}") >"$dir/bin/SHA256SUMS"
stamp_text >"$stamp.tmp" && mv -f "$stamp.tmp" "$stamp"
log "done: $dir"
printf '%s\n' "$dir"
