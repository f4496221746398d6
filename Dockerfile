# syntax=docker/dockerfile:1
# One image recipe for every service: docker build --build-arg APP=ledger -t strongbox/ledger .
# APP is one of: bot-gateway, ledger, chain-watcher, notifier, admin-audit.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY . .
RUN npm ci --no-audit --no-fund --loglevel=error
ARG APP
RUN test -n "$APP" && node --import tsx tools/build/build.ts "$APP"

FROM ${NODE_IMAGE} AS runtime-deps
WORKDIR /src
COPY --from=build /src/package.json /src/package-lock.json ./
COPY --from=build /src/apps ./apps
COPY --from=build /src/libs ./libs
COPY --from=build /src/patches ./patches
# No dependency install scripts run; the only script needed is ours: applying patches/ (see its README).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error && npx --no-install patch-package

FROM ${NODE_IMAGE}
ARG APP
ENV NODE_ENV=production \
    OPS_HOST=0.0.0.0 \
    OPS_PORT=9100
WORKDIR /app
COPY --from=runtime-deps --chown=node:node /src/node_modules ./node_modules
COPY --from=build --chown=node:node /src/dist/apps/${APP} ./
USER node
EXPOSE 9100
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.OPS_PORT+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Node is PID 1 here and handles SIGTERM itself (graceful shutdown in the service runtime).
CMD ["node", "--enable-source-maps", "main.js"]
