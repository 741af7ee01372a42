# kvnetlab in one image: nodes, proxies, collector, controller, loadgen, capture, sql.
# docker-compose.yml runs `kvnetlab up` from it against a ClickHouse server, with Grafana
# and Prometheus next to it.
#
# Build stage: the optional `cap` addon (libpcap capture) is compiled by node-gyp, and
# `npm ci` runs `prepare` (tsc), so it needs every source folder the build reads.
FROM node:20-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ libpcap-dev ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/kvnetlab
# Everything but what .dockerignore leaves out (dependencies, build output, run data), so a
# new source folder (scenarios, migration, patches, ...) is in the image without an edit here.
COPY . .
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

# Runtime: redis-cli (healthcheck, manual use), redis-server (`up --redis` measures the
# real thing), iproute2 (`ss`), libpcap for capture.
FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends redis-tools redis-server iproute2 libpcap0.8 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/kvnetlab
COPY --from=build /opt/kvnetlab ./
ENTRYPOINT ["node", "dist/cli/main.js"]
