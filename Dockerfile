# syntax=docker/dockerfile:1
# Multi-stage: compile TypeScript, install production dependencies only, run the compiled
# JavaScript with node (no tsx at run time) as a non-root user. The same compile and the
# production-dependency check run outside Docker in `npm test` (test/build.test.ts).

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY lib lib
COPY instruments instruments
COPY cli cli
RUN npm run build

FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:24-bookworm-slim
# lvm2 gives the lvm instrument its vgs (DaemonSet mode); nothing else is added to the base.
RUN apt-get update \
 && apt-get install -y --no-install-recommends lvm2 \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./
# Sizes the heap from the memory limit the chart hands over (SSM_MEMORY_LIMIT_MIB), then runs cli/main.js.
COPY cli/entrypoint.sh ./cli/entrypoint.sh
COPY package.json ./
USER 65532:65532
EXPOSE 9090
# Kubernetes uses the chart's probes; this is for plain `docker run`. /livez answers on the
# metrics port over HTTP (with server.tls on, use the chart's probes instead).
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9090/livez').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/app/cli/entrypoint.sh"]
CMD ["run"]
