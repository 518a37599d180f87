# syntax=docker/dockerfile:1.7
# The gateway image: nginx with the admin console built in (served at /admin/).
# Stage 1 builds admin-console/ from its lock file; stage 2 is the nginx image
# whose entrypoint runs envsubst over /etc/nginx/templates/*.template.
ARG NODE_IMAGE=node:20-bookworm-slim
ARG NGINX_IMAGE=nginx:1.27

FROM ${NODE_IMAGE} AS console
WORKDIR /console
# Dependencies first: their layer survives source edits.
COPY admin-console/package.json admin-console/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
# The sources and admin-console/openapi/*.json, from which the build generates
# the API types (src/api/generated/ is not in the context).
COPY admin-console/ ./
RUN npm run build

FROM ${NGINX_IMAGE} AS gateway
LABEL org.opencontainers.image.title="sendfx-gateway"
COPY deploy/nginx/templates /etc/nginx/templates
COPY --from=console /console/dist /usr/share/sendfx-admin
ENV ADMIN_CONSOLE_ROOT=/usr/share/sendfx-admin
