#!/usr/bin/env bash
# deploy/containers-test.sh [jest options]: the service-level tests (libs/) again, on PostgreSQL
# and Redis in containers that the test harness starts itself (testcontainers, through
# test/support/services.ts), from the images deploy/images.sh provides. npm run test:containers
# runs it through deploy/engine.sh, which starts the engine if needed.
set -euo pipefail
cd "$(dirname "$0")/.."

images_env=$(mktemp)
trap 'rm -f "$images_env"' EXIT
deploy/images.sh --bases "$images_env"
# shellcheck disable=SC1090
. "$images_env"

# Ryuk (the reaper) is an image of its own that may not be pullable; the harness stops its
# containers in its global teardown.
BOWL_TEST_SERVICES=containers \
  BOWL_TEST_POSTGRES_IMAGE=$BOWL_POSTGRES_IMAGE \
  BOWL_TEST_REDIS_IMAGE=$BOWL_REDIS_IMAGE \
  TESTCONTAINERS_RYUK_DISABLED=${TESTCONTAINERS_RYUK_DISABLED:-true} \
  npx jest libs/ "$@"
