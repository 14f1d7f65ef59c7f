# scanq: one image for every process (`api`, `worker`, `scheduler`, `sweeper`, `bootstrap`, ...).
# Runs the TypeScript sources through tsx (a runtime dependency), as bin/scanq.js does when
# there is no dist/.
FROM node:24-slim

WORKDIR /app
ENV NODE_ENV=production

COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

COPY tsconfig.json ./
COPY bin ./bin
COPY src ./src

USER node
ENTRYPOINT ["node", "bin/scanq.js"]
CMD ["--help"]
