#!/usr/bin/env bash
# Builds the real peers the tests run against (kube-apiserver, etcd, helm, an OpenTelemetry
# Collector, kube-state-metrics) from the pinned Go modules beside this script, into a cache outside the tree keyed
# by each module's go.mod, go.sum and sources and by the Go version. A cached peer costs one
# hash; a cold build takes minutes (see README.md here).
#
#   build.sh                 build every peer that is not cached yet
#   build.sh --path NAME     build NAME if needed, then print the binary's path
#   build.sh --module NAME   download a data module of modules.txt (pinned, checked against the
#                            Go checksum database) and print its directory
#
# Stops with one line naming what is missing when it cannot build.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache_root=${SSM_PEERS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sealos-state-metrics/peers}

fail() {
  echo "npm test: $*" >&2
  exit 1
}

# peer -> "module directory|package to build"
declare -A PEER=(
  [etcd]="etcd|."
  [kube-apiserver]="kube|k8s.io/kubernetes/cmd/kube-apiserver"
  [helm]="helm|helm.sh/helm/v3/cmd/helm"
  [otelcol]="otelcol|."
  [kube-state-metrics]="ksm|k8s.io/kube-state-metrics/v2"
  [crs-eval]="ksm|."
)
ORDER=(etcd kube-apiserver helm otelcol kube-state-metrics crs-eval)

check_go() {
  command -v go >/dev/null 2>&1 || fail "Go is missing (test/peers builds kube-apiserver, etcd, helm and otelcol with Go 1.26 or later)"
  local version
  version=$(GOTOOLCHAIN=local go env GOVERSION)
  [[ $version =~ ^go1\.([0-9]+) ]] && ((BASH_REMATCH[1] >= 26)) ||
    fail "Go $version is too old for test/peers (needs Go 1.26 or later)"
}

# What the peer's own release build stamps in, as its Makefile does.
ldflags_of() { # peer -> extra -ldflags
  local dir=$here/${PEER[$1]%%|*} version client_go major minor
  case $1 in
  helm)
    # Without these, `helm template` assumes Kubernetes v1.20 and refuses charts that need more.
    version=$(cd "$dir" && GOTOOLCHAIN=local go list -m -f '{{.Version}}' helm.sh/helm/v3)
    client_go=$(cd "$dir" && GOTOOLCHAIN=local go list -m -f '{{.Version}}' k8s.io/client-go)
    [[ $client_go =~ ^v0\.([0-9]+)\. ]] || fail "cannot read helm's k8s.io/client-go version ($client_go)"
    major=1 minor=${BASH_REMATCH[1]}
    printf '%s ' "-X helm.sh/helm/v3/internal/version.version=$version" \
      "-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=$major" \
      "-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$minor" \
      "-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=$major" \
      "-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$minor"
    ;;
  esac
}

key_of() { # peer -> cache key
  local dir=$here/${PEER[$1]%%|*}
  {
    GOTOOLCHAIN=local go env GOVERSION GOOS GOARCH
    # The script without its table of peers: adding a peer rebuilds no other.
    sed '/^declare -A PEER=/,/^ORDER=/d' "$here/build.sh"
    echo "${PEER[$1]}"
    cat "$dir/go.mod" "$dir/go.sum"
    find "$dir" -maxdepth 1 -name '*.go' -print0 | sort -z | xargs -0r cat
  } | sha256sum | cut -c1-16
}

build() { # peer -> path of its binary, built if not cached
  local name=$1 dir package key target
  dir=$here/${PEER[$name]%%|*}
  package=${PEER[$name]#*|}
  key=$(key_of "$name")
  target=$cache_root/$name-$key/$name
  if [ ! -x "$target" ]; then
    mkdir -p "$cache_root"
    # One build per peer at a time: two test runs may start together.
    exec 9>"$cache_root/.$name.lock"
    flock 9
    if [ ! -x "$target" ]; then
      echo "npm test: building $name from test/peers/${PEER[$name]%%|*} (cached after the first time)" >&2
      local started=$SECONDS partial ldflags
      ldflags=$(ldflags_of "$name") || exit 1
      partial=$(mktemp -d "$cache_root/.$name-XXXXXX")
      (cd "$dir" && GOTOOLCHAIN=local go build -trimpath -buildvcs=false -ldflags="-s -w $ldflags" \
        -o "$partial/$name" "$package") >"$partial/build.log" 2>&1 ||
        fail "building $name failed (see $partial/build.log)"
      # Older builds of this peer are of no further use.
      find "$cache_root" -maxdepth 1 -name "$name-*" -type d ! -name "$name-$key" -exec rm -rf {} +
      rm -f "$partial/build.log"
      mv "$partial" "$cache_root/$name-$key"
      echo "npm test: built $name in $((SECONDS - started)) s" >&2
    fi
    exec 9>&-
  fi
  printf '%s\n' "$target"
}

module_dir() { # name in modules.txt -> the module's directory in the module cache
  local line module
  line=$(grep -E "^$1 " "$here/modules.txt") || fail "modules.txt has no module named $1"
  module=${line#* }
  (cd "$here" && GOTOOLCHAIN=local go mod download -json "$module") |
    sed -n 's/^\t"Dir": "\(.*\)",$/\1/p' | grep . || fail "go mod download $module failed"
}

check_go
if [ "${1:-}" = --module ]; then
  module_dir "${2:-}"
  exit 0
fi
if [ "${1:-}" = --path ]; then
  [ -n "${2:-}" ] && [ -n "${PEER[$2]:-}" ] || fail "build.sh --path needs one of: ${ORDER[*]}"
  build "$2"
  exit 0
fi
[ $# -eq 0 ] || fail "build.sh takes no arguments but --path NAME (got $*)"
for name in "${ORDER[@]}"; do build "$name" >/dev/null; done
