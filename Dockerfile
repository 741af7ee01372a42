# kvnetlab nodes and tools in one image. `docker compose up` (docker-compose.yml) starts a
# local 3P-1R cluster with it; later issues add the proxy, controller, ClickHouse and Grafana.
FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends redis-tools iproute2 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/kvnetlab
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY cli ./cli
COPY cluster ./cluster
COPY bench ./bench
COPY proxy ./proxy
COPY capture ./capture
COPY loadgen ./loadgen
RUN npm ci --no-audit --no-fund && npm prune --omit=dev
ENTRYPOINT ["node", "dist/cli/main.js"]
