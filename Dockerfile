# pg-rotator image: the worker, and the REST API with another command (`node --import tsx src/api/main.ts`).
# TypeScript runs through tsx, a runtime dependency, so the build steps are the web console (its own stage, with
# the dev dependencies Vite needs) and the workflow bundle.
FROM node:20-bookworm-slim AS console
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci && npm cache clean --force
COPY tsconfig.json ./
COPY src ./src
COPY web ./web
RUN npx vite build --config web/vite.config.ts

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
COPY bin ./bin
COPY scripts/bundle-workflows.ts ./scripts/
COPY --from=console /app/web/dist ./web/dist

# The workflow code bundled once at build time: the worker starts without webpack, and the image runs exactly the
# code its replay test (test/workflow/replay.test.ts) checked against the captured histories.
RUN npx tsx scripts/bundle-workflows.ts /app/dist/workflow-bundle.js
ENV ROTATOR_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js

USER node

# API port, worker metrics/health port, API metrics port (each off unless configured; see the README).
EXPOSE 8080 9464 9465

CMD ["bin/pg-rotator-worker"]
