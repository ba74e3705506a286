#!/usr/bin/env bash
# Provisions the local cluster's binaries: etcd from Debian's etcd-server, and
# kube-apiserver, kube-controller-manager, kube-scheduler, kubelet and kube-proxy 1.20.2 built
# from Debian bookworm's `kubernetes` source package into $1 (default
# ~/.cache/kairflow/k8s-1.20.2). Only the binaries missing from the cache are built,
# so a cache from before the node binaries existed gets just those added.
# Why from source: no kind/k3s/envtest downloads reach these machines; Debian's
# source package carries its full vendor tree, so the build needs no network
# beyond Debian's own mirror.
set -euo pipefail
dest=${1:-${KAIRFLOW_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kairflow/k8s-1.20.2}}
as_root() { if [[ $(id -u) == 0 ]]; then "$@"; else sudo "$@"; fi; }
if ! command -v etcd >/dev/null; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server
fi
all=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy)
missing=()
for what in "${all[@]}"; do [[ -s $dest/$what ]] || missing+=("$what"); done
if ((${#missing[@]} == 0)); then
  echo "k8s binaries already in $dest"; exit 0
fi
mkdir -p "$dest"
need_apt=()
command -v go >/dev/null || need_apt+=(golang-go)
command -v rsync >/dev/null || need_apt+=(rsync)
command -v jq >/dev/null || need_apt+=(jq)
[[ -d /usr/share/gocode/src/github.com/modern-go/reflect2 ]] || need_apt+=(golang-github-modern-go-reflect2-dev)

# deb-src for the source package, on the mirror this machine already uses.
if ! grep -rqs '^deb-src.*bookworm main' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  # The first Debian mirror from a "deb URL" or deb822 "URIs: URL" line.
  mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
           | awk '/^(deb|URIs:) /{for(i=2;i<=NF;i++) if ($i ~ /^https?:\/\/.*\/debian\/?$/) {print $i; exit}}' || true)
  mirror=${mirror:-http://deb.debian.org/debian}
  echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror bookworm main" \
    | as_root tee /etc/apt/sources.list.d/kairflow-src.list >/dev/null
  as_root apt-get update -qq
fi
if ((${#need_apt[@]})); then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/kairflow-k8s-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
apt-get source --download-only kubernetes >/dev/null
tar xzf kubernetes_*.orig.tar.gz
src=$(find . -maxdepth 1 -mindepth 1 -type d | head -n1)
cd "$src"
# Go >= 1.18 + reflect2 v1.0.1 segfaults the apiserver on the first CRD: use 1.0.2.
rm -rf vendor/github.com/modern-go/reflect2
mkdir -p vendor/github.com/modern-go/reflect2
cp -r /usr/share/gocode/src/github.com/modern-go/reflect2/. vendor/github.com/modern-go/reflect2/
sed -i 's#^\(github.com/modern-go/reflect2\) v1.0.1#\1 v1.0.2#' vendor/modules.txt
export HOME=${HOME:-$work} CGO_ENABLED=0 GOFLAGS=-mod=vendor GOCACHE=$work/gocache
rm -rf _output
# kubelet builds without cgo too (static, like the others): no C toolchain needed.
for what in "${missing[@]}"; do
  echo "building $what (a few minutes on 2 cores)"
  started=$SECONDS
  make WHAT=cmd/$what >/dev/null
  install -m 0755 "_output/bin/$what" "$dest/$what"
  echo "built $what in $((SECONDS - started))s"
done
echo "k8s binaries in $dest"
