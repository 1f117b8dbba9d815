# Bowl gateway image. Builds with the classic builder too (no BuildKit features).
#   docker build -t bowl .                                      # official Node 20 base
#   docker build --build-arg NODE_IMAGE=my/node:20 -t bowl .    # any Node 20 image with npm
# Behind a TLS-intercepting proxy, put its CA bundle (PEM) at deploy/extra-ca.pem first: only the
# npm steps read it; it never reaches the runtime image. deploy/images.sh does this from
# $NODE_EXTRA_CA_CERTS.
ARG NODE_IMAGE=node:20-bookworm-slim

# Every dependency, cached until package-lock.json changes.
FROM ${NODE_IMAGE} AS dev-dependencies
WORKDIR /app
# deploy/extra-ca.pe[m] matches nothing when there is no extra CA: COPY then takes the rest only.
COPY package.json package-lock.json deploy/extra-ca.pe[m] ./
RUN if [ -f extra-ca.pem ]; then export NODE_EXTRA_CA_CERTS="$PWD/extra-ca.pem"; fi \
 && npm ci --ignore-scripts --no-audit --no-fund --cache /tmp/npm \
 && rm -rf /tmp/npm extra-ca.pem

# Production dependencies only. Leaves out the optional embedded PostgreSQL (the image requires
# DATABASE_URL) and the Prisma runtimes of other databases and of the old engine (the client is
# generated for PostgreSQL with the query compiler).
FROM dev-dependencies AS dependencies
RUN npm prune --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
 && cd node_modules/@prisma/client/runtime \
 && rm -f query_engine_bg.* *.map query_compiler_bg.mysql.* query_compiler_bg.sqlite.* \
    query_compiler_bg.sqlserver.* query_compiler_bg.cockroachdb.*

FROM dev-dependencies AS build
COPY . .
RUN CHECKPOINT_DISABLE=1 npx prisma generate && npx nest build gateway

FROM ${NODE_IMAGE}
ENV NODE_ENV=production PORT=3000
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY --from=build /app/package.json ./
COPY --from=build /app/dist ./dist
COPY --from=build /app/prisma/migrations ./prisma/migrations
# The user node (1000), by number so that Kubernetes can check runAsNonRoot; the files stay
# root's, read-only to the process.
USER 1000:1000
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/health/live`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node itself is the container's main process, so SIGTERM reaches Bowl's graceful shutdown.
# Migrations: the same image with the command node dist/apps/gateway/apps/gateway/src/migrate.js
CMD ["node", "dist/apps/gateway/apps/gateway/src/main.js"]
