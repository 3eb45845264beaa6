# Switchyard gateway image: `docker build -t switchyard .`
#   docker run -p 8080:8080 switchyard                 (built-in demo, simulated upstreams)
#   docker run -v $PWD/my.yaml:/config/switchyard.yaml -p 8080:8080 switchyard serve --config /config/switchyard.yaml

# ---- build: full dependencies, compile TypeScript, then drop dev dependencies
FROM node:20-slim AS build
WORKDIR /app
# Manifests first, so the dependency layer is cached until they change. --ignore-scripts: the package's own
# `prepare` script runs the build, and the sources are not copied yet.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# ---- runtime: production dependencies and compiled code only, as a non-root user
FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./package.json
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
# The `node` user (uid 1000) ships with the official image.
USER node
EXPOSE 8080
# No HEALTHCHECK here: the same image also runs `switchyard simulate` on other ports. docker-compose.yml
# declares one per service (GET /healthz with Node's own fetch, so the slim image needs no curl).
ENTRYPOINT ["node", "dist/cli/main.js"]
# The gateway binds 127.0.0.1 by default, which nothing outside the container can reach: listen on every
# interface (publish the port on the host's loopback: -p 127.0.0.1:8080:8080).
CMD ["serve", "--host", "0.0.0.0"]
