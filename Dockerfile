# clerk-sync: `docker build -t clerk-sync .`, then
#   docker run -d -p 8080:8080 -v clerk-sync-data:/data -e CLERK_WEBHOOK_SIGNING_SECRET=whsec_... clerk-sync
# SQLite lives on the /data volume by default; set DATABASE_URL=postgres://... to use PostgreSQL.
# See docs/deploy.md#docker. test/deploy.test.ts runs the build stage's steps and the health check.

# Build stage: better-sqlite3 compiles its native module here (python3, make, g++), on the same
# Debian and Node as the runtime stage, so the compiled module runs there.
FROM node:20-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Dependencies first, so that a change to the sources does not reinstall them. Install scripts
# run only for the two packages that need one (the native SQLite driver, esbuild's binary).
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3 esbuild
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build
RUN npm prune --omit=dev

# Runtime stage: Node and the built files, no compiler, no dev dependencies, not root.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    DATABASE_URL=/data/clerk-sync.db \
    HOST=0.0.0.0 \
    PORT=8080
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The image's `node` user (uid 1000) owns the data directory; a named volume mounted there
# starts with that ownership.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 8080
# Liveness: /healthz answers while the process is up (node's fetch: the slim image has no curl).
# For readiness behind a load balancer, point it at /readyz instead.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# serve stops cleanly on SIGTERM (docker stop); give it the default 10 s or more.
CMD ["node", "dist/cli/main.js", "serve"]
