# pg-rotator worker image (the REST API will use the same image with another command).
# TypeScript runs through tsx, a runtime dependency, so there is no build step and no devDependencies.
FROM node:20-bookworm-slim

ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false

WORKDIR /app

# Dependencies first, so that source edits reuse this layer. The files stay owned by root:
# the process running as `node` can read them but not change them.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

# The product only: the dev stack (dev/), tests and benchmarks stay out (.dockerignore excludes them too).
COPY tsconfig.json ./
COPY src ./src

USER node

CMD ["npx", "tsx", "src/worker.ts"]
