# The release binary on a slim base. Not built by CI (no base image can be pulled there):
#   docker build -t kinesis-crypto-bench .
FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin kinesis-crypto-bench

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/kinesis-crypto-bench /usr/local/bin/kinesis-crypto-bench
COPY scenarios /scenarios
# The manifests mount the scenario and results under /kcb and name their files relative to it.
WORKDIR /kcb
ENTRYPOINT ["kinesis-crypto-bench"]
