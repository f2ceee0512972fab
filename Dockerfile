# Tessera: the GraphQL session authority. Build: docker build -t tessera .
# Runs TypeScript directly with tsx (as `npm start` does); there is no separate build step.

# ── dependencies ───────────────────────────────────────────────────────────────────────────────
FROM node:20-bookworm-slim AS deps
WORKDIR /app
# argon2 ships prebuilt binaries for common platforms; the toolchain is here so `npm ci` can still
# compile it where no prebuild fits (another CPU architecture or libc).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# The npm workspace (the client library): npm ci needs its package.json to match the lockfile.
COPY client/package.json ./client/
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force \
 # A broken native module must fail the build, not the first login.
 && node -e "require('argon2').hash('build-check').then((h) => { if (!h.startsWith('\$argon2id\$')) process.exit(1) })"

# ── runtime ────────────────────────────────────────────────────────────────────────────────────
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000 \
    DATA_DIR=/var/lib/tessera
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY migrations ./migrations
COPY src ./src
COPY console ./console
# The embedded database (used only when DATABASE_URL is unset) lives in a volume the app may write.
RUN mkdir -p /var/lib/tessera && chown node:node /var/lib/tessera
VOLUME ["/var/lib/tessera"]

USER node
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# What `npm start` runs, without npm in between: npm does not pass SIGTERM on to the server, so
# `docker stop` would kill it hard instead of letting it drain requests and close WebSockets with
# 1001. Node as PID 1 is fine here: main.ts handles SIGTERM and SIGINT itself.
# --max-semi-space-size=32: a young generation of up to 2 × 32 MiB (Node's default is 2 × 16). Under
# load most objects live for one request; with more room they die young instead of being promoted
# and collected again later: fewer, cheaper collections (docs/performance.md).
CMD ["node", "--max-semi-space-size=32", "--import", "tsx", "src/main.ts"]
