#!/usr/bin/env bash
# deploy/compose-test.sh [--remove-images] [jest options]: the docker-compose fleet, for real
# (npm run test:compose runs it through deploy/engine.sh, which starts the engine if needed).
# Builds the images (deploy/images.sh), brings up docker-compose.yml as its own project with
# throwaway secrets, runs test/compose (through nginx only), then tears everything down:
# containers, networks, volumes, and with --remove-images the images of the services too.
set -euo pipefail
cd "$(dirname "$0")/.."

remove_images=false
jest_args=()
for arg in "$@"; do
  case "$arg" in
    --remove-images) remove_images=true ;;
    *) jest_args+=("$arg") ;;
  esac
done

export COMPOSE_PROJECT_NAME=${COMPOSE_PROJECT_NAME:-bowl-compose-test}
export COMPOSE_FILE=$PWD/docker-compose.yml
images_env=$(mktemp)
logs=${BOWL_COMPOSE_LOGS:-/tmp/$COMPOSE_PROJECT_NAME.log}

teardown() {
  local rc=$?
  set +e
  if docker info >/dev/null 2>&1; then
    docker-compose logs --no-color --timestamps >"$logs" 2>&1
    echo "compose-test: service logs in $logs"
    if [ "$rc" -ne 0 ]; then docker-compose logs --no-color --tail=30 2>&1 | tail -n 120; fi
    if $remove_images; then
      docker-compose down --volumes --remove-orphans --rmi all
    else
      docker-compose down --volumes --remove-orphans
    fi
  fi
  rm -f "$images_env"
  exit "$rc"
}
trap teardown EXIT

deploy/images.sh "$images_env"
set -a
# shellcheck disable=SC1090
. "$images_env"
set +a

# Throwaway secrets (docker-compose reads the environment before any .env file).
POSTGRES_PASSWORD=$(node -p 'require("crypto").randomBytes(18).toString("hex")')
JWT_SECRET=$(node -p 'require("crypto").randomBytes(32).toString("hex")')
BOWL_BIND=127.0.0.1
BOWL_HTTP_PORT=${BOWL_HTTP_PORT:-$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')}
export POSTGRES_PASSWORD JWT_SECRET BOWL_BIND BOWL_HTTP_PORT

start=$(date +%s)
docker-compose up -d --no-build --quiet-pull
echo "compose-test: fleet up in $(($(date +%s) - start)) s on 127.0.0.1:$BOWL_HTTP_PORT"

BOWL_COMPOSE_URL=http://127.0.0.1:$BOWL_HTTP_PORT npx jest -c test/compose/jest.config.js "${jest_args[@]}"
