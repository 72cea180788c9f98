# syntax=docker/dockerfile:1
#
# mmdbot in a container: a static binary (pure Go, the SQLite driver
# included) on distroless, running as a non-root user.
#
#   docker build -t mmdbot .
#   docker run --rm -p 8080:8080 -v mmdbot-data:/data mmdbot
#
# See docs/docker.md.

# Build on the machine's own platform, for the target's.
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download && go mod verify
COPY . .
ARG TARGETOS=linux
ARG TARGETARCH=amd64
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -buildvcs=false -ldflags="-s -w" -o /out/mmdbot . \
 && mkdir -p /out/data

# Run: CA certificates and time zones, no shell, no package manager.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/mmdbot /usr/local/bin/mmdbot
# The data directory belongs to the non-root user, so that a named volume
# mounted there starts out writable.
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV MMD_ADDR=:8080 \
    MMD_DATA=/data/mmdbot.db \
    MMD_LOG_FORMAT=json
EXPOSE 8080
# mmdbot healthcheck probes /healthz at the port of MMD_ADDR: no shell, no curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/mmdbot", "healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/mmdbot"]
CMD ["serve"]
