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
USER node
ENTRYPOINT ["node", "/app/dist/cli/main.js"]
CMD ["--help"]
