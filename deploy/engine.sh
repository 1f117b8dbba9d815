#!/usr/bin/env bash
# deploy/engine.sh start|stop|with CMD...: a Docker engine for the image builds and container tests.
#   start: does nothing if `docker info` already answers; else installs Debian's docker.io when
#          dockerd is missing and starts dockerd in the background, remembering its pid. Storage:
#          overlay2 where an overlay mount works, else vfs (slow: every layer is a full copy);
#          BOWL_DOCKER_STORAGE_DRIVER overrides.
#   stop:  stops only an engine that `start` started (its pid file, BOWL_DOCKERD_PIDFILE); one
#          that was running before is left alone.
#   with CMD...: runs CMD with an engine, and stops the engine afterwards if it was not running.
set -euo pipefail

PIDFILE=${BOWL_DOCKERD_PIDFILE:-/tmp/bowl-dockerd.pid}
LOGFILE=${BOWL_DOCKERD_LOG:-/tmp/bowl-dockerd.log}

answers() { docker info >/dev/null 2>&1; }

overlay_mounts() {
  local dir rc=1
  dir=$(mktemp -d)
  mkdir "$dir"/{lower,upper,work,merged}
  if mount -t overlay overlay -o "lowerdir=$dir/lower,upperdir=$dir/upper,workdir=$dir/work" \
    "$dir/merged" 2>/dev/null; then
    umount "$dir/merged"
    rc=0
  fi
  rm -rf "$dir"
  return "$rc"
}

start() {
  if answers; then
    echo "engine: already running"
    return
  fi
  if ! command -v dockerd >/dev/null || ! command -v docker-compose >/dev/null; then
    echo "engine: installing docker.io and docker-compose (apt)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io docker-compose >/dev/null
  fi
  local driver=${BOWL_DOCKER_STORAGE_DRIVER:-}
  if [ -z "$driver" ]; then
    if overlay_mounts; then driver=overlay2; else driver=vfs; fi
  fi
  dockerd --storage-driver="$driver" >"$LOGFILE" 2>&1 &
  echo $! >"$PIDFILE"
  for _ in $(seq 1 60); do
    if answers; then
      echo "engine: dockerd started (pid $(cat "$PIDFILE"), storage $driver, log $LOGFILE)"
      return
    fi
    if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then break; fi
    sleep 0.5
  done
  echo "engine: dockerd did not answer; last lines of $LOGFILE:" >&2
  tail -n 20 "$LOGFILE" >&2
  stop
  exit 1
}

stop() {
  [ -f "$PIDFILE" ] || return 0
  local pid
  pid=$(cat "$PIDFILE")
  # A pid file left by an earlier run may name another process by now.
  if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ] && kill "$pid"; then
    for _ in $(seq 1 60); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    echo "engine: dockerd (pid $pid) stopped"
  fi
  rm -f "$PIDFILE"
}

with() {
  local rc=0
  if answers; then
    "$@"
    return
  fi
  PIDFILE=$(mktemp) # this run's own: stop only the engine started here
  start
  "$@" || rc=$?
  stop
  return "$rc"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  with)
    shift
    with "$@"
    ;;
  *)
    echo "usage: $0 start|stop|with CMD..." >&2
    exit 2
    ;;
esac
