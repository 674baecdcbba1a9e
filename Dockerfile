# syntax=docker/dockerfile:1
# Ramp's image: `ramp server` and `ramp worker` (the Helm chart runs both from it). Two stages: the build
# compiles the TypeScript (the sandbox's declarations are needed for types only); the runtime stage holds the
# compiled product and its production dependencies only — no sandbox, no benchmarks, no test tools.
# test/unit/image/buildContext.test.ts checks what .dockerignore lets into the build context.

FROM node:20-bookworm-slim AS build
WORKDIR /ramp
COPY package.json package-lock.json tsconfig.json tsconfig.base.json tsconfig.build.json ./
COPY packages/kube-schemas/package.json packages/kube-schemas/
COPY packages/sandbox/package.json packages/sandbox/
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY packages packages
COPY src src
COPY bench bench
RUN npx tsc -b tsconfig.build.json

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /ramp
COPY package.json package-lock.json ./
COPY packages/kube-schemas/package.json packages/kube-schemas/
# The lockfile names every workspace; the sandbox's package.json is here so that npm ci accepts it, not its code.
COPY packages/sandbox/package.json packages/sandbox/
RUN npm ci --omit=dev --include-workspace-root --workspace @ramp/kube-schemas --ignore-scripts --no-audit --no-fund \
    && npm cache clean --force
COPY --from=build /ramp/packages/kube-schemas/dist packages/kube-schemas/dist
COPY packages/kube-schemas/specs packages/kube-schemas/specs
COPY --from=build /ramp/dist/src dist/src
COPY bin/ramp bin/ramp
USER 10001:10001
EXPOSE 8080 9090
ENTRYPOINT ["node", "/ramp/bin/ramp"]
CMD ["--help"]
