# scanq: one image for every process (`api`, `worker`, `scheduler`, `sweeper`, `bootstrap`, ...).
# Stage 1 compiles the TypeScript; stage 2 holds the compiled JavaScript and the production
# dependencies only (no tsx, no compiler, no tools/), and runs as the unprivileged `node` user.
# test/integration/package.test.ts replays these steps without Docker and runs a job with the result.
FROM node:24-slim AS build
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:24-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force
COPY --from=build /build/dist ./dist
# V8 sizes its heap from the memory it sees: on a large host, 64 MB semi-spaces and an old space
# that grows to ~60 MB of garbage before its first full collection made up most of a worker's
# 270–310 MB peak RSS; with only a small heap limit (what a small container gets) it picks
# semi-spaces so small that a worker spent 4–5× the CPU in GC. Fixed sizes make both predictable
# (docs/PERFORMANCE.md, "Footprint"): peak RSS ≈ 130 MB per worker at concurrency 16, the same
# CPU per job. The old-space cap is a limit, not a reservation: keep it at about half the
# container's memory limit. The bench and chaos tools run their workers with this line's value
# (tools/bench/processes.ts reads it from here).
ENV NODE_OPTIONS="--max-semi-space-size=8 --max-old-space-size=512"
USER node
ENTRYPOINT ["node", "/app/dist/cli/main.js"]
CMD ["--help"]
