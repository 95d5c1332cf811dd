# syntax=docker/dockerfile:1
# The architecture portal: Node.js 24, a Java runtime for veraPDF, production dependencies only.
# Run with DATABASE_URL pointing at PostgreSQL, SESSION_SECRET, and a volume on /data.

ARG NODE_IMAGE=node:24-bookworm-slim
ARG VERAPDF_VERSION=1.28.2
ARG VERAPDF_SHA256=687d4d8bcfec48c9f7e931cf78ed061f1eeccfba55d4cdc000ba9b4d8aa46ce6

# 1. Production node_modules (the postinstall veraPDF step finds no Maven here and skips itself).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

# 2. veraPDF from Maven Central, pinned and checksum-verified.
FROM maven:3.9-eclipse-temurin-17 AS verapdf
ARG VERAPDF_VERSION
ARG VERAPDF_SHA256
RUN mvn -B -q -C dependency:copy \
      -Dartifact=org.verapdf.apps:greenfield-apps:${VERAPDF_VERSION} \
      -DoutputDirectory=/opt/verapdf/lib \
 && echo "${VERAPDF_SHA256}  /opt/verapdf/lib/greenfield-apps-${VERAPDF_VERSION}.jar" | sha256sum -c -

# 3. The runtime image.
FROM ${NODE_IMAGE}
ARG VERAPDF_VERSION
RUN apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jre-headless \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=verapdf /opt/verapdf/lib /opt/verapdf/lib
RUN mkdir -p /opt/verapdf/bin \
 && printf '#!/bin/sh\nexec java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto -cp /opt/verapdf/lib/greenfield-apps-%s.jar org.verapdf.apps.GreenfieldCliWrapper "$@"\n' "${VERAPDF_VERSION}" > /opt/verapdf/bin/verapdf \
 && chmod 755 /opt/verapdf/bin/verapdf
COPY package.json ./
COPY src ./src
COPY migrations ./migrations
COPY schemas ./schemas
COPY fixtures ./fixtures
RUN mkdir -p /data && chown node:node /data

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data \
    VERAPDF_BIN=/opt/verapdf/bin/verapdf
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:3000/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "src/server.ts"]
