# syntax=docker/dockerfile:1.4
FROM debian:bookworm-slim
RUN <<EOF
apt-get update
apt-get install -y --no-install-recommends ca-certificates
rm -rf /var/lib/apt/lists/*
EOF
USER 1000
CMD ["bash"]
