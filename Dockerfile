# genmon and genmon-exporter in one small image.
#
#   docker build -t genmon:0.1.0 .
#   docker run --rm genmon:0.1.0                      # genmon-exporter on :9184
#   docker run --rm -v "$PWD:/work" -w /work --entrypoint genmon genmon:0.1.0 render --check
#
# docker compose builds it for the genmon-exporter service (docker-compose.yml).

# --- build -------------------------------------------------------------------
FROM rust:1-bookworm AS build
WORKDIR /src
# Dependencies first, so source edits do not refetch the registry. The
# workspace members (the exporter's and the service library's crates) must be
# there for cargo to read the workspace at all.
COPY Cargo.toml Cargo.lock ./
COPY crates ./crates
RUN mkdir -p src/bin && echo 'fn main() {}' > src/bin/genmon.rs && echo 'fn main() {}' > src/bin/genmon-exporter.rs \
    && touch src/lib.rs && cargo fetch --locked && rm -rf src
COPY src ./src
RUN cargo build --release --locked --bin genmon --bin genmon-exporter \
    && install -D -m 0755 target/release/genmon target/release/genmon-exporter /out/

# --- run ---------------------------------------------------------------------
# distroless cc: glibc and libgcc only (TLS is rustls, no OpenSSL); no shell, no curl.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/genmon /out/genmon-exporter /usr/local/bin/
# nonroot: uid/gid 65532.
USER 65532:65532
EXPOSE 9184
# The exporter checks itself: GET /health, exit 0 on 200 (no curl in the image).
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/genmon-exporter", "--health-check", "http://127.0.0.1:9184/health"]
ENTRYPOINT ["/usr/local/bin/genmon-exporter"]
CMD ["--web.listen-address=0.0.0.0:9184"]
