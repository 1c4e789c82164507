# digitbot: one static binary (model included) and one data file on a volume.
#   docker build -t digitbot .
#   docker run -d --name digitbot -e DIGITBOT_TOKEN=... -v digitbot-data:/data digitbot
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# CGO off: a static binary that runs on distroless/static (no libc).
# GOEXPERIMENT=simd: the inference engine's AVX2/AVX-512 kernels (the CPU is checked
# at run time; other CPUs get the portable kernels).
RUN GOEXPERIMENT=simd CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/digitbot ./cmd/digitbot \
 && mkdir -p /out/data/backups

# distroless/static has CA certificates and tzdata, no shell, no curl;
# the nonroot user is uid 65532.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/digitbot /usr/local/bin/digitbot
COPY --from=build --chown=65532:65532 /out/data /data
ENV DIGITBOT_DATABASE=/data/digitbot.db \
    DIGITBOT_BACKUP_DIR=/data/backups \
    DIGITBOT_ADMIN_ADDR=0.0.0.0:9090
VOLUME ["/data"]
EXPOSE 9090
USER nonroot:nonroot
# SIGTERM starts the ordered shutdown (stop taking events, drain, close the
# database), which finishes well inside Docker's default 10 s grace period.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/digitbot", "health", "--addr", "127.0.0.1:9090"]
ENTRYPOINT ["/usr/local/bin/digitbot"]
CMD ["run"]
