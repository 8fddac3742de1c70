# The service image. A build stage compiles the TypeScript; the runtime stage holds dist/src, sql/ and the production
# node_modules only. The embedded PostgreSQL (an optional dependency) is left out, so the container needs DATABASE_URL.

# One base for both stages: an exact Node.js 22 LTS release on Debian 12 slim. Bump it deliberately; pin a digest with
# --build-arg NODE_IMAGE=node:22.x.y-bookworm-slim@sha256:... where builds must be reproducible byte for byte.
ARG NODE_IMAGE=node:22.23.3-bookworm-slim
# The RUN --mount cache mounts below keep npm's download cache between builds, outside the layers. They need
# BuildKit, the default builder since Docker 23 and the one compose uses.

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The dev dependencies too (tsc needs typescript and the @types packages), but not the optional embedded PostgreSQL
# binaries: src/db loads them by a name computed at run time, so compiling needs nothing of them. No install script
# is needed to compile, so none runs.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=optional --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
# .dockerignore keeps test/ and bench/ out of the context, so this compiles src/ alone into dist/src.
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only, without the optional embedded PostgreSQL (some 60 MB of binaries on amd64 that the
# container never runs). None of them has an install script; --ignore-scripts keeps it that way if one gains one.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund
# Migrations are read at start-up from ../../../sql/ relative to dist/src/db/migrate.js, i.e. /app/sql.
COPY sql ./sql
# The web page at /, served as it is (no build step).
COPY public ./public
COPY --from=build /app/dist/src ./dist/src

# The container always listens on 8000 (publish it on any host port). DATA_DIR holds only the upload spool here,
# emptied at every start, so it needs no volume; it is the one place the service writes. Code and node_modules stay
# root-owned and read-only to the service.
ENV PORT=8000 \
    DATA_DIR=/app/data
RUN mkdir -p /app/data && chown node:node /app/data
# The base image's `node` user, by number so that Kubernetes' runAsNonRoot can verify it.
USER 1000:1000

EXPOSE 8000
# Liveness, not readiness: /readyz would call the container unhealthy whenever the database is away, which no restart
# of this container mends. Slim images have no curl; Node's fetch does the job.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# The service drains in-flight requests on SIGTERM and exits 0. Node runs as PID 1 (exec form, no npm or shell in
# between) so the signal reaches it; it starts no child processes, so there are no zombies to reap and no init needed.
STOPSIGNAL SIGTERM
CMD ["node", "--max-semi-space-size=2", "dist/src/main.js"]
