#!/usr/bin/env bash
# Installs the Debian packages the local cluster's real node needs, when missing:
# containerd + runc (the container runtime), the CNI plugins (pod network), iptables
# (kube-proxy), and mmdebstrap + buildah + gcc (images built without Docker). Used by
# `make demo` and CI; without root or sudo it says what is missing and exits 0, and the
# demo falls back to the development node agent.
set -euo pipefail
declare -A need=([containerd]=containerd [runc]=runc [iptables]=iptables
                 [mmdebstrap]=mmdebstrap [buildah]=buildah [gcc]=gcc)
missing=()
for tool in "${!need[@]}"; do command -v "$tool" >/dev/null || missing+=("${need[$tool]}"); done
[[ -x /usr/lib/cni/bridge ]] || missing+=(containernetworking-plugins)
((${#missing[@]})) || exit 0
if [[ $(id -u) == 0 ]]; then as_root=(); elif command -v sudo >/dev/null; then as_root=(sudo); else
  echo "the real node needs: ${missing[*]} (no root or sudo to install them)" >&2; exit 0
fi
echo "installing the real node's packages: ${missing[*]}"
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
