# syntax=docker/dockerfile:1
#
# The tokportal-sync image: `cron` (the service) by default, any command as arguments.
#
#   docker build -t tokportal-sync .
#   docker run --rm -v "$PWD/campaign:/data" -e TOKPORTAL_API_KEY -p 8080:8080 tokportal-sync
#
# Two stages: `build` installs every dependency and bundles src/ into dist/ (scripts/build.js); the
# runtime stage has the production dependencies only, dist/, bin/ and the files read at run time, runs as
# the unprivileged `node` user, and starts under tini so signals reach the service and nothing is left a
# zombie. docs/service.md, "Container", says how to run it; test/structure/dockerfile.test.ts holds the
# facts below that matter (non-root, production install, health check).

ARG NODE_VERSION=20.20

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Scripts are run below, once the sources are in; this layer is reused while the lock file is unchanged.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY bin/ bin/
COPY scripts/ scripts/
COPY src/ src/
RUN npm run build

FROM node:${NODE_VERSION}-bookworm-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# No scripts: `prepare` builds, and the build is already done (dist/ comes from the build stage).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist/ dist/
COPY bin/ bin/
COPY spec/ spec/
COPY fixtures/campaign/ fixtures/campaign/
COPY config.schema.json ./
RUN ln -s /app/bin/tokportal-sync.js /usr/local/bin/tokportal-sync \
  && mkdir /data \
  && chown node:node /data

# The config, the CSV files or Google credentials, and the run history (.tokportal-sync/) live here.
WORKDIR /data
USER node
EXPOSE 8080
# The service's own /healthz (503 once a run failed entirely), asked with node itself: the slim image has
# no curl. It follows the default command's port: change both, or add --no-healthcheck, for other ports.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "tokportal-sync"]
CMD ["cron", "--health-host", "0.0.0.0", "--health-port", "8080"]
